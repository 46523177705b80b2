/**
 * The Kafka consumer: a kafkajs group member whose eachBatch hands each batch
 * to the pipeline (batch-loop.ts), what it applied kept per partition and
 * committed on an interval (applied-offsets.ts), its fetch loop restarted when
 * kafkajs gives up (fetch-loop.ts) or goes quiet (watchdog.ts), and an exit
 * once caught up and idle. What happens is told to an observer port.
 *
 * Offsets are committed on an interval, not per batch: the per-day watermarks
 * in Redis make redelivered batches harmless, and a commit per batch would
 * cost a broker round trip each.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import { AppliedOffsets } from './applied-offsets.ts';
import { type BatchHandler, type ConsumerStats, eachBatchOf } from './batch-loop.ts';
import { BlockedPartitions } from './blocked-partitions.ts';
import { type ConsumerObserver, NO_CONSUMER_OBSERVER } from './consumer-observer.ts';
import { FetchLoop } from './fetch-loop.ts';
import { consumerGroupOf } from './kafka.ts';
import { startWatchdog } from './watchdog.ts';

export type { BatchHandler } from './batch-loop.ts';

export interface ConsumerOptions {
  kafka: Kafka;
  namespace: string;
  topic: string;
  processor: BatchHandler;
  log: Logger;
  observer?: ConsumerObserver;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
  maxBytes?: number;
  commitIntervalMs?: number;
  /** Resolve `done` once caught up and no message came for this long. */
  exitWhenIdleSeconds?: number;
}

export interface RunningConsumer {
  /** Resolves when the consumer stopped: idle exit or stop(). */
  done: Promise<void>;
  /** Finish the in-flight batch, commit, leave the group. */
  stop(): Promise<void>;
  ready(): boolean;
  stats(): ConsumerStats;
}

/** No batch applied for this long while behind: the fetch loop is restarted. */
const STALL_MS = 30_000;

export async function startConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const groupId = consumerGroupOf(o.namespace);
  const observer = o.observer ?? NO_CONSUMER_OBSERVER;
  const consumer: Consumer = o.kafka.consumer({
    groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    rebalanceTimeout: Math.max(o.sessionTimeoutMs, 30_000),
    maxBytesPerPartition: o.maxBytesPerPartition ?? 512 * 1024,
    maxBytes: o.maxBytes ?? 2 * 1024 * 1024,
    maxWaitTimeInMs: 250,
    // Reconnect forever: a broker outage must pause the monitor, not end it.
    retry: {
      retries: Number.MAX_SAFE_INTEGER,
      initialRetryTime: 500,
      maxRetryTime: 15_000,
      restartOnFailure: async () => true,
    },
  });
  const admin = o.kafka.admin();

  const stats: ConsumerStats = { accepted: 0, rejected: 0, skipped: 0, batches: 0 };
  const offsets = new AppliedOffsets(o.topic, groupId);
  const blocked = new BlockedPartitions(observer);
  let stopping = false;
  const isStopping = () => stopping;
  const stopSignal = new AbortController();

  const runConfig = {
    eachBatchAutoResolve: false,
    autoCommit: false,
    autoCommitInterval: o.commitIntervalMs ?? 5000,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachBatch: (payload: Parameters<ReturnType<typeof eachBatchOf>>[0]) => eachBatch(payload),
  };
  const loop = new FetchLoop(consumer, runConfig, isStopping, o.log);
  const eachBatch = eachBatchOf({
    handler: o.processor,
    offsets,
    blocked,
    loop,
    observer,
    log: o.log,
    stats,
    isStopping,
    stopSignal: stopSignal.signal,
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    // Another consumer may have applied our former partitions: trust Redis, not memory.
    o.processor.forgetWatermarks();
    offsets.reassigned(payload.memberAssignment[o.topic] ?? []);
    blocked.clear();
    loop.joined();
    observer.joined(offsets.assigned.length);
    o.log.info({ assigned: offsets.assigned.length, leader: payload.isLeader }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    observer.failed('kafka');
    loop.crashed();
    const err = { name: payload.error?.name, type: (payload.error as { type?: string })?.type };
    if (payload.restart) {
      o.log.warn(
        { err, message: payload.error?.message, restart: true },
        'consumer crashed; kafkajs restarts it',
      );
      return;
    }
    // kafkajs gives up on errors it deems non-retriable (a join refused with
    // GROUP_MAX_SIZE_REACHED, say) and leaves the process alive consuming nothing.
    // A monitor must keep trying: restart the fetch loop ourselves, with backoff.
    o.log.error(
      { err, message: payload.error?.message, restart: false },
      'consumer crashed and kafkajs will not restart it; restarting its fetch loop',
    );
    loop.restartLater();
  });

  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning });
  await loop.run();

  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });

  const stop = async () => {
    if (stopping) return done;
    stopping = true;
    stopSignal.abort();
    clearInterval(idleTimer);
    watchdog.stop();
    await offsets.commit(consumer);
    await consumer.stop().catch(() => undefined); // waits for in-flight batches, which commit themselves
    await consumer.disconnect().catch((err: Error) => o.log.warn({ err: err.message }, 'disconnect failed'));
    await admin.disconnect().catch(() => undefined);
    o.log.info(stats, 'consumer stopped');
    finish();
    return done;
  };

  let checking = false;
  const idleTimer = setInterval(() => {
    if (!o.exitWhenIdleSeconds || stopping || checking || loop.joinedAt === 0) return;
    if (Date.now() - Math.max(loop.lastActivity, loop.joinedAt) < o.exitWhenIdleSeconds * 1000) return;
    checking = true;
    offsets
      .commit(consumer)
      .then(() => offsets.behind(admin, 'topic'))
      .then((lagging) => {
        if (lagging.length === 0 && Date.now() - loop.lastActivity >= o.exitWhenIdleSeconds! * 1000) {
          o.log.info({ idleSeconds: o.exitWhenIdleSeconds }, 'caught up and idle; exiting');
          void stop();
        }
      })
      .catch((err: Error) => o.log.debug({ err: err.message }, 'lag check failed'))
      .finally(() => {
        checking = false;
      });
  }, 500);

  const watchdog = startWatchdog({
    loop,
    joinDeadlineMs: Math.max(o.sessionTimeoutMs, 30_000) + STALL_MS,
    stallMs: STALL_MS,
    isStopping,
    isHolding: () => o.processor.holding === true,
    behindOwned: () => offsets.behind(admin, 'owned'),
    observer,
    log: o.log,
  });

  return {
    done,
    stop,
    ready: () => loop.joinedAt > 0 && offsets.assigned.length > 0 && !stopping && !o.processor.holding,
    stats: () => ({ ...stats }),
  };
}
