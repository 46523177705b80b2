/**
 * Reads a topic once (the dead-letter topic, or the events topic for a draft
 * plan), from the beginning or from a point in time, up to the end offsets it
 * had when the read started: a bounded read that never waits for records that
 * may not come. A throwaway consumer group with no offset commits, deleted
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { dictionary } from '../dictionary.ts';
import type { DeadLetterHeaders } from './dlq-summary.ts';

/** A record as read: its key, value and timestamp, and every header (a dead letter's carry the original's). */
export interface TopicRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers: DeadLetterHeaders;
}

export interface TopicReadOptions {
  /** Read records from this time on (epoch ms); from the beginning when absent. */
  fromMs?: number;
  /** Told how many records the read will cover, then each record's arrival. */
  progress?: { start(total: number): void; advance(n: number): void };
}

export async function readTopicOnce(
  kafka: Kafka,
  topic: string,
  onRecord: (record: TopicRecord) => void | Promise<void>,
  options: TopicReadOptions = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `event-monitor.topic-reader.${randomBytes(4).toString('hex')}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const starts =
      options.fromMs === undefined
        ? ends.map((p) => ({ partition: p.partition, offset: p.low }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, options.fromMs);
    const startOf = new Map(starts.map((p) => [p.partition, Number(p.offset)]));
    // next offset to read per partition, and where the read ends
    const pending = new Map<number, { next: number; end: number }>();
    for (const p of ends) {
      const start = Math.max(Number(p.low), startOf.get(p.partition) ?? Number(p.high));
      if (start < Number(p.high)) pending.set(p.partition, { next: start, end: Number(p.high) });
    }
    const total = [...pending.values()].reduce((n, p) => n + p.end - p.next, 0);
    options.progress?.start(total);
    if (total === 0) return 0;

    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    await consumer.connect();
    let read = 0;
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              const range = pending.get(batch.partition);
              if (!range) return;
              let n = 0;
              for (const m of batch.messages) {
                const offset = Number(m.offset);
                if (offset < range.next || offset >= range.end) continue;
                const headers: DeadLetterHeaders = dictionary();
                for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = headerText(v);
                await onRecord({ key: m.key, value: m.value, timestamp: m.timestamp, headers });
                range.next = offset + 1;
                // a slow onRecord (a replay) must not cost the reader its group membership
                if (++n % 100 === 0) await heartbeat();
              }
              read += n;
              options.progress?.advance(n);
              // compaction or transaction markers can leave gaps: done once the batch passed the end
              if (range.next >= range.end || Number(batch.lastOffset()) + 1 >= range.end)
                pending.delete(batch.partition);
              if (pending.size === 0) resolve();
            },
          })
          .catch(reject);
        for (const [partition, range] of pending)
          consumer.seek({ topic, partition, offset: String(range.next) });
      });
    } finally {
      await consumer.disconnect();
    }
    return read;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * A header's text. kafkajs gathers headers on a plain object, so one named
 * after an `Object.prototype` member arrives beside the inherited member:
 * the last string or Buffer is the sender's.
 */
function headerText(v: unknown): string | undefined {
  const values = Array.isArray(v) ? v : [v];
  for (let i = values.length - 1; i >= 0; i--) {
    const each: unknown = values[i];
    if (typeof each === 'string' || Buffer.isBuffer(each)) return each.toString();
  }
  return undefined;
}
