/**
 * The Kafka consumer loop: eachBatch → BatchProcessor → resolve and commit.
 * A failing dependency (Redis, registry, Kafka) never crashes the process and
 * never skips a message: the batch is retried with backoff until it applies or
 * the partition is taken away (then its new owner redoes it, exactly once).
 *
 * Offsets are committed on an interval, not per batch: the per-day watermarks
 * in Redis make redelivered batches harmless, and a commit per batch would
 * cost a broker round trip each.
 */
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { BLOCKED_REASONS, type BlockedReason, blockedReasonOf, systemOf } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { IngestMetrics } from '../metrics/ingest-metrics.ts';
import { consumerGroupOf } from './kafka.ts';
import type { IncomingMessage } from './messages.ts';

/** What the consumer loop hands each batch to (the ingest pipeline), and tells about rebalances. */
export interface BatchHandler {
  processIsolatingPoison(
    topic: string,
    partition: number,
    messages: IncomingMessage[],
  ): Promise<{ accepted: number; rejected: number; skipped: number }>;
  /** Partitions moved: what the handler remembers of other consumers' progress may be stale. */
  forgetWatermarks(): void;
  /** Holding batches back on purpose (the reject guard): not ready, and not stalled. */
  readonly holding?: boolean;
}

export interface ConsumerOptions {
  kafka: Kafka;
  namespace: string;
  topic: string;
  processor: BatchHandler;
  log: Logger;
  metrics?: IngestMetrics;
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
  stats(): { accepted: number; rejected: number; skipped: number; batches: number };
}

const backoff = (attempt: number) =>
  Math.min(30_000, 250 * 2 ** Math.min(attempt, 7)) * (0.75 + Math.random() / 2);
const sleep = (ms: number, signal?: AbortSignal) =>
  setTimeoutPromise(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
/** No batch applied for this long while behind: the fetch loop is restarted. */
const STALL_MS = 30_000;

export async function startConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const groupId = consumerGroupOf(o.namespace);
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

  const stats = { accepted: 0, rejected: 0, skipped: 0, batches: 0 };
  /** Next offset to read per partition we own, as far as this process applied. */
  const applied = new Map<number, string>();
  let assignedPartitions: number[] = [];
  /** When the group last handed us an assignment; 0 while the fetch loop is (re)joining. */
  let joinedAt = 0;
  /** When the fetch loop was last (re)started, by kafkajs or by us. */
  let startedAt = Date.now();
  let lastActivity = Date.now();
  let stopping = false;
  const stopSignal = new AbortController();
  let restarting = false;
  /** A restart asked for while one was under way (a crash inside our own restart). */
  let restartPending = false;
  let restarts = 0;
  const ns = { namespace: o.namespace };
  /** Partitions whose batch is being retried, by what holds it: em_batches_blocked. */
  const blocked = new Map<number, BlockedReason>();
  const showBlocked = () => {
    for (const reason of BLOCKED_REASONS) {
      let n = 0;
      for (const r of blocked.values()) if (r === reason) n++;
      o.metrics?.batchesBlocked.set({ ...ns, reason }, n);
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    // Another consumer may have applied our former partitions: trust Redis, not memory.
    o.processor.forgetWatermarks();
    applied.clear();
    blocked.clear(); // partitions moved: who holds which is for their new owners to say
    showBlocked();
    o.metrics?.lag.reset();
    assignedPartitions = payload.memberAssignment[o.topic] ?? [];
    joinedAt = Date.now();
    restarts = 0;
    o.metrics?.assignedPartitions.set(ns, assignedPartitions.length);
    o.log.info({ assigned: assignedPartitions.length, leader: payload.isLeader }, 'joined consumer group');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    o.metrics?.errors.inc({ ...ns, system: 'kafka' });
    joinedAt = 0;
    startedAt = Date.now();
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
    if (restarting) restartPending = true;
    else void restartFetchLoop(backoff(restarts));
  });

  const eachBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) => {
    if (batch.messages.length === 0) return;
    const started = process.hrtime.bigint();
    for (let attempt = 0; ; attempt++) {
      // partition gone or shutting down: leave it unresolved
      if (stopping || !isRunning() || isStale()) return;
      try {
        const outcome = await o.processor.processIsolatingPoison(
          batch.topic,
          batch.partition,
          batch.messages,
        );
        stats.accepted += outcome.accepted;
        stats.rejected += outcome.rejected;
        stats.skipped += outcome.skipped;
        if (blocked.delete(batch.partition)) showBlocked();
        if (outcome.skipped > 0) {
          o.log.info(
            { partition: batch.partition, skipped: outcome.skipped },
            'redelivered messages already applied; skipped',
          );
        }
        break;
      } catch (err) {
        // typed errors say which system failed; anything else is a defect of ours ("other")
        const system = systemOf(err);
        o.metrics?.errors.inc({ ...ns, system });
        blocked.set(batch.partition, blockedReasonOf(err));
        showBlocked();
        const wait = backoff(attempt);
        o.log.warn(
          {
            system,
            err: (err as Error).message,
            partition: batch.partition,
            attempt,
            retryInMs: Math.round(wait),
          },
          'batch not applied; retrying',
        );
        // a stop cuts the wait short: SIGTERM must not wait out a backoff of up to 30 s
        await sleep(wait, stopSignal.signal);
        if (stopping) {
          o.log.info(
            { partition: batch.partition },
            'stopping: the batch being retried is left uncommitted for the next consumer',
          );
          return;
        }
        await heartbeat().catch(() => undefined);
      }
    }
    const last = batch.lastOffset();
    resolveOffset(last);
    applied.set(batch.partition, String(Number(last) + 1));
    stats.batches++;
    lastActivity = Date.now();
    const lag = Math.max(0, Number(batch.highWatermark) - Number(last) - 1);
    o.metrics?.lag.set({ ...ns, topic: batch.topic, partition: String(batch.partition) }, lag);
    o.metrics?.batchSize.observe(ns, batch.messages.length);
    o.metrics?.applyDuration.observe(ns, Number(process.hrtime.bigint() - started) / 1e9);
    if (isRunning()) await commitOffsetsIfNecessary();
    else {
      // stopping: commit this batch now, before the runner leaves the group
      const offset = applied.get(batch.partition)!;
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
      });
    }
    await heartbeat().catch(() => undefined);
  };

  await admin.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [o.topic], fromBeginning: o.fromBeginning });
  const runConfig = {
    eachBatchAutoResolve: false,
    autoCommit: false,
    autoCommitInterval: o.commitIntervalMs ?? 5000,
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachBatch,
  };
  await consumer.run(runConfig);

  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });

  /** Best effort: a commit lost here only means a harmless redelivery. */
  const commitApplied = async () => {
    const offsets = assignedPartitions
      .filter((p) => applied.has(p))
      .map((partition) => ({ topic: o.topic, partition, offset: applied.get(partition)! }));
    if (offsets.length) await consumer.commitOffsets(offsets).catch(() => undefined);
  };

  const stop = async () => {
    if (stopping) return done;
    stopping = true;
    stopSignal.abort();
    clearInterval(idleTimer);
    clearInterval(watchdog);
    await commitApplied();
    await consumer.stop().catch(() => undefined); // waits for in-flight batches, which commit themselves
    await consumer.disconnect().catch((err: Error) => o.log.warn({ err: err.message }, 'disconnect failed'));
    await admin.disconnect().catch(() => undefined);
    o.log.info(stats, 'consumer stopped');
    finish();
    return done;
  };

  /**
   * Partitions in `scope` where neither what we applied nor what the group
   * committed reaches the end yet. The idle exit looks at the whole topic: a
   * member killed without leaving still holds partitions until its session times
   * out, and exiting because *our* share is done would leave those unread.
   */
  const behind = async (scope: 'owned' | 'topic') => {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(o.topic),
      admin.fetchOffsets({ groupId, topics: [o.topic] }),
    ]);
    const committedOf = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    const partitions = scope === 'owned' ? assignedPartitions : ends.map((e) => e.partition);
    return partitions
      .map((partition) => ({
        partition,
        end: Number(ends.find((e) => e.partition === partition)?.high ?? 0),
        applied: Number(applied.get(partition) ?? -1),
        committed: committedOf.get(partition) ?? -1,
      }))
      .filter((p) => p.end > 0 && Math.max(p.applied, p.committed) < p.end);
  };

  let checking = false;
  const idleTimer = setInterval(() => {
    if (!o.exitWhenIdleSeconds || stopping || checking || joinedAt === 0) return;
    if (Date.now() - Math.max(lastActivity, joinedAt) < o.exitWhenIdleSeconds * 1000) return;
    checking = true;
    commitApplied()
      .then(() => behind('topic'))
      .then((lagging) => {
        if (lagging.length === 0 && Date.now() - lastActivity >= o.exitWhenIdleSeconds! * 1000) {
          o.log.info({ idleSeconds: o.exitWhenIdleSeconds }, 'caught up and idle; exiting');
          void stop();
        }
      })
      .catch((err: Error) => o.log.debug({ err: err.message }, 'lag check failed'))
      .finally(() => {
        checking = false;
      });
  }, 500);

  /** Stop the fetch loop (a no-op after a crash) and run it again; Redis watermarks make redelivery harmless. */
  async function restartFetchLoop(delayMs = 0) {
    if (restarting || stopping) return;
    restarting = true;
    try {
      if (delayMs > 0) await sleep(delayMs);
      if (stopping) return;
      await consumer.stop();
      if (stopping) return;
      restarts++;
      joinedAt = 0;
      startedAt = Date.now();
      lastActivity = Date.now();
      await consumer.run(runConfig);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'fetch loop restart failed; the watchdog tries again');
    } finally {
      restarting = false;
      if (restartPending && !stopping) {
        restartPending = false;
        void restartFetchLoop(backoff(restarts));
      }
    }
  }

  // Watchdog, for the two ways a kafkajs consumer goes quiet without dying:
  // - joined, partitions behind, yet nothing applied for STALL_MS (seen under load);
  // - (re)started but never joined within a rebalance plus STALL_MS (a join that
  //   hangs or died without a restart). Before this check existed, a fetch loop
  //   that failed to rejoin after the watchdog's own restart was never restarted again.
  const joinDeadlineMs = Math.max(o.sessionTimeoutMs, 30_000) + STALL_MS;
  const watchdog = setInterval(() => {
    if (stopping || restarting) return;
    if (joinedAt === 0) {
      const waiting = Date.now() - startedAt;
      if (waiting < joinDeadlineMs) return;
      o.metrics?.errors.inc({ ...ns, system: 'kafka' });
      o.log.error({ waitingMs: waiting }, 'consumer never joined its group; restarting its fetch loop');
      void restartFetchLoop();
      return;
    }
    if (Date.now() - Math.max(lastActivity, joinedAt) < STALL_MS) return;
    // a batch held by the reject guard is retried on purpose: not a stall
    if (o.processor.holding) return;
    restarting = true;
    behind('owned')
      .then((lagging) => {
        restarting = false;
        if (lagging.length === 0 || stopping) return;
        o.metrics?.errors.inc({ ...ns, system: 'kafka' });
        o.log.error(
          { quietMs: Date.now() - lastActivity, lagging },
          'consumer stalled with messages waiting; restarting its fetch loop',
        );
        return restartFetchLoop();
      })
      .catch((err: Error) => {
        restarting = false;
        o.log.warn({ err: err.message }, 'stall check failed');
      });
  }, 5_000);

  return {
    done,
    stop,
    ready: () => joinedAt > 0 && assignedPartitions.length > 0 && !stopping && !o.processor.holding,
    stats: () => ({ ...stats }),
  };
}
