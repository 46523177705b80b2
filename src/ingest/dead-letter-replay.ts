/**
 * Puts dead letters back through the monitor's own validation and into the
 * day state, exactly once per dead letter: each is applied under a watermark
 * of its own, keyed by its source coordinates (topic, partition, offset), so
 * replaying the same dead letters twice, a dead letter written twice, or a
 * replay killed halfway and run again changes no count. The day that counted
 * the rejection takes it back; what still fails goes to the dead-letter topic
 * again, with its new reason.
 */
import type { DayResolver } from '../calendar/day-resolver.ts';
import { dictionary } from '../dictionary.ts';
import { REJECT_REASONS, type RejectReason } from '../outcome.ts';
import { DLQ_HEADERS } from '../source/dead-letter.ts';
import type { IncomingMessage } from '../source/messages.ts';
import type { TopicRecord } from '../source/topic-reader.ts';
import type { BatchProcessor, Retraction } from './batch-processor.ts';

export interface ReplayTarget {
  topic: string;
  partition: number;
  /** The original message: its key, value, timestamp and headers, at its source offset. */
  message: IncomingMessage;
  retraction: Retraction;
  /** "topic/partition/offset": what identifies the dead letter. */
  source: string;
}

export type ReplayOutcome = 'accepted' | 'rejected' | 'already_replayed';

const REASONS = new Set<string>(REJECT_REASONS);

/** The original message behind a dead letter, or why it cannot be replayed (headers missing or garbled). */
export function replayTargetOf(dl: TopicRecord, days: DayResolver): ReplayTarget | { unreadable: string } {
  const h = dl.headers;
  const topic = h[DLQ_HEADERS.topic];
  const partition = Number(h[DLQ_HEADERS.partition]);
  const offset = h[DLQ_HEADERS.offset];
  const reason = h[DLQ_HEADERS.reason];
  if (!topic || !Number.isInteger(partition) || !offset || !/^\d+$/.test(offset)) {
    return { unreadable: 'no source coordinates' };
  }
  if (!reason || !REASONS.has(reason)) return { unreadable: 'no known reason' };
  if (h[DLQ_HEADERS.valueOmitted] !== undefined) return { unreadable: 'its key and value were not kept' };
  const sourceTs = Number(h[DLQ_HEADERS.timestamp] ?? dl.timestamp);
  // dead letters written before the day header existed: the day of the source message
  const day = h[DLQ_HEADERS.day] ?? (Number.isFinite(sourceTs) && sourceTs > 0 ? days.dayOf(sourceTs) : null);
  if (!day) return { unreadable: 'no day' };
  const headers = dictionary<string>();
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !k.startsWith('x-em-')) headers[k] = v;
  const planRejectedEvent = reason === 'contract_violation' ? h[DLQ_HEADERS.contractEvent] : undefined;
  return {
    topic,
    partition,
    message: {
      offset,
      timestamp: String(Number.isFinite(sourceTs) ? sourceTs : dl.timestamp),
      key: dl.key,
      value: dl.value,
      headers,
    },
    retraction: {
      day,
      reason: reason as RejectReason,
      ...(planRejectedEvent !== undefined ? { planRejectedEvent } : {}),
    },
    source: `${topic}/${partition}/${offset}`,
  };
}

export class DeadLetterReplayer {
  constructor(private readonly processor: BatchProcessor) {}

  async replay(t: ReplayTarget): Promise<ReplayOutcome> {
    const outcome = await this.processor.process(t.topic, t.partition, [t.message], {
      replayOf: t.retraction,
    });
    if (outcome.accepted > 0) return 'accepted';
    if (outcome.skipped > 0) return 'already_replayed';
    return 'rejected';
  }

  /** What a replay would do with it, without writing anything: accepted, or the reason it would fail. */
  async judge(t: ReplayTarget): Promise<{ ok: true } | { ok: false; reason: RejectReason }> {
    return this.processor.judge(t.message);
  }
}
