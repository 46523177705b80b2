/**
 * What the consumer loop tells whoever watches it (the metrics, in the CLI's
 * wiring): the port keeps the loop free of prom-client, as the pipeline's
 * IngestObserver does for ingest.
 */
import type { BlockedReason, FailingSystem } from '../errors.ts';

export interface ConsumerObserver {
  /** Joined the group holding this many partitions; what was said of partitions held before is stale. */
  joined(partitions: number): void;
  /** A system failed under the loop: Kafka crashed it, or a batch failed on it. */
  failed(system: FailingSystem): void;
  /** Partitions whose batch is being retried, by what holds them (every reason, 0 where none). */
  blocked(byReason: ReadonlyMap<BlockedReason, number>): void;
  /** A batch applied: its partition's lag behind the log's end, its size and how long it took. */
  batchApplied(b: { topic: string; partition: number; lag: number; messages: number; seconds: number }): void;
}

export const NO_CONSUMER_OBSERVER: ConsumerObserver = {
  joined() {},
  failed() {},
  blocked() {},
  batchApplied() {},
};
