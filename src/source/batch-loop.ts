/**
 * One partition's batch, through the pipeline until it applies: a failing
 * dependency (Redis, registry, Kafka) never crashes the process and never
 * skips a message; the batch is retried with backoff until it applies or the
 * partition is taken away (then its new owner redoes it, exactly once). Then
 * its offsets are resolved and, on the interval, committed.
 */
import type { EachBatchPayload } from 'kafkajs';
import { blockedReasonOf, systemOf } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AppliedOffsets } from './applied-offsets.ts';
import type { BlockedPartitions } from './blocked-partitions.ts';
import type { ConsumerObserver } from './consumer-observer.ts';
import { backoff, type FetchLoop, sleep } from './fetch-loop.ts';
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

export interface ConsumerStats {
  accepted: number;
  rejected: number;
  skipped: number;
  batches: number;
}

export interface BatchLoopParts {
  handler: BatchHandler;
  offsets: AppliedOffsets;
  blocked: BlockedPartitions;
  loop: FetchLoop;
  observer: ConsumerObserver;
  log: Logger;
  stats: ConsumerStats;
  isStopping: () => boolean;
  /** Aborted at stop: cuts a retry's backoff short. */
  stopSignal: AbortSignal;
}

export function eachBatchOf(p: BatchLoopParts) {
  return async ({
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
      if (p.isStopping() || !isRunning() || isStale()) return;
      try {
        const outcome = await p.handler.processIsolatingPoison(batch.topic, batch.partition, batch.messages);
        p.stats.accepted += outcome.accepted;
        p.stats.rejected += outcome.rejected;
        p.stats.skipped += outcome.skipped;
        p.blocked.release(batch.partition);
        if (outcome.skipped > 0) {
          p.log.info(
            { partition: batch.partition, skipped: outcome.skipped },
            'redelivered messages already applied; skipped',
          );
        }
        break;
      } catch (err) {
        // typed errors say which system failed; anything else is a defect of ours ("other")
        const system = systemOf(err);
        p.observer.failed(system);
        p.blocked.hold(batch.partition, blockedReasonOf(err));
        const wait = backoff(attempt);
        p.log.warn(
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
        await sleep(wait, p.stopSignal);
        if (p.isStopping()) {
          p.log.info(
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
    const next = p.offsets.applied(batch.partition, last);
    p.stats.batches++;
    p.loop.batchApplied();
    p.observer.batchApplied({
      topic: batch.topic,
      partition: batch.partition,
      lag: Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
      messages: batch.messages.length,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    if (isRunning()) await commitOffsetsIfNecessary();
    else {
      // stopping: commit this batch now, before the runner leaves the group
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
      });
    }
    await heartbeat().catch(() => undefined);
  };
}
