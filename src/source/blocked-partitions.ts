/** Partitions whose batch is being retried, by what holds each (em_batches_blocked). */
import { BLOCKED_REASONS, type BlockedReason } from '../errors.ts';
import type { ConsumerObserver } from './consumer-observer.ts';

export class BlockedPartitions {
  private readonly byPartition = new Map<number, BlockedReason>();

  constructor(private readonly observer: ConsumerObserver) {}

  hold(partition: number, reason: BlockedReason) {
    this.byPartition.set(partition, reason);
    this.show();
  }

  release(partition: number) {
    if (this.byPartition.delete(partition)) this.show();
  }

  /** Partitions moved: who holds which is for their new owners to say. */
  clear() {
    this.byPartition.clear();
    this.show();
  }

  private show() {
    const counts = new Map<BlockedReason, number>(BLOCKED_REASONS.map((r) => [r, 0]));
    for (const r of this.byPartition.values()) counts.set(r, counts.get(r)! + 1);
    this.observer.blocked(counts);
  }
}
