/**
 * What this process applied, per partition it owns: the next offset to read.
 * Offsets are committed from here on an interval and at stop, not per batch
 * (the per-day watermarks in Redis make a redelivery harmless); and the idle
 * exit and the watchdog ask it which partitions are still behind.
 */
import type { Admin, Consumer } from 'kafkajs';

export interface LaggingPartition {
  partition: number;
  end: number;
  applied: number;
  committed: number;
}

export class AppliedOffsets {
  private readonly next = new Map<number, string>();
  /** The partitions the group gave this member at its last join. */
  assigned: number[] = [];

  constructor(
    private readonly topic: string,
    private readonly groupId: string,
  ) {}

  /** Partitions moved (a join): what we applied of our former partitions is no longer ours to commit. */
  reassigned(partitions: number[]) {
    this.next.clear();
    this.assigned = partitions;
  }

  /** The batch ending at `lastOffset` is applied: the next offset to read. */
  applied(partition: number, lastOffset: string): string {
    const next = String(Number(lastOffset) + 1);
    this.next.set(partition, next);
    return next;
  }

  /** Best effort: a commit lost here only means a harmless redelivery. */
  async commit(consumer: Consumer): Promise<void> {
    const offsets = this.assigned
      .filter((p) => this.next.has(p))
      .map((partition) => ({ topic: this.topic, partition, offset: this.next.get(partition)! }));
    if (offsets.length) await consumer.commitOffsets(offsets).catch(() => undefined);
  }

  /**
   * Partitions in `scope` where neither what we applied nor what the group
   * committed reaches the end yet. The idle exit looks at the whole topic: a
   * member killed without leaving still holds partitions until its session times
   * out, and exiting because *our* share is done would leave those unread.
   */
  async behind(admin: Admin, scope: 'owned' | 'topic'): Promise<LaggingPartition[]> {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(this.topic),
      admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] }),
    ]);
    const committedOf = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    const partitions = scope === 'owned' ? this.assigned : ends.map((e) => e.partition);
    return partitions
      .map((partition) => ({
        partition,
        end: Number(ends.find((e) => e.partition === partition)?.high ?? 0),
        applied: Number(this.next.get(partition) ?? -1),
        committed: committedOf.get(partition) ?? -1,
      }))
      .filter((p) => p.end > 0 && Math.max(p.applied, p.committed) < p.end);
  }
}
