/**
 * What is in the dead-letter topic, summed from each record's headers alone:
 * counts by reason, by source partition and by day of the source message,
 * first and last seen. Values are never read. Dead letters are written at
 * least once, so a record whose source (topic, partition, offset) was seen
 * before is counted once and reported as a repeat. Pure.
 */
import type { DayResolver } from '../calendar/day-resolver.ts';
import { DLQ_HEADERS } from './dead-letter.ts';

export type DeadLetterHeaders = Record<string, string | undefined>;

export interface DlqSummary {
  /** Distinct dead letters (by source coordinates). */
  total: number;
  /** Records read that repeat a source message already counted. */
  repeats: number;
  by_reason: Record<string, number>;
  /** By the day of the source message, in the monitor's time zone. */
  by_day: Record<string, number>;
  /** By "topic/partition" of the source message. */
  by_partition: Record<string, number>;
  /** contract_violation dead letters by "event path rule" (each dead letter once per triple it broke). */
  contract_triples: Record<string, number>;
  first_seen: string | null;
  last_seen: string | null;
}

export class DlqSummarizer {
  private readonly seen = new Set<string>();
  private readonly summary: DlqSummary = {
    total: 0,
    repeats: 0,
    by_reason: {},
    by_day: {},
    by_partition: {},
    contract_triples: {},
    first_seen: null,
    last_seen: null,
  };
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;

  constructor(private readonly days: DayResolver) {}

  add(headers: DeadLetterHeaders) {
    const source = `${headers[DLQ_HEADERS.topic] ?? '?'}/${headers[DLQ_HEADERS.partition] ?? '?'}`;
    const coordinates = `${source}@${headers[DLQ_HEADERS.offset] ?? '?'}`;
    if (this.seen.has(coordinates)) {
      this.summary.repeats++;
      return;
    }
    this.seen.add(coordinates);
    const s = this.summary;
    s.total++;
    bump(s.by_reason, headers[DLQ_HEADERS.reason] ?? 'unknown');
    bump(s.by_partition, source);
    if (headers[DLQ_HEADERS.reason] === 'contract_violation') {
      for (const triple of contractTriples(headers)) bump(s.contract_triples, triple);
    }
    const ts = Number(headers[DLQ_HEADERS.timestamp]);
    if (Number.isFinite(ts) && ts > 0) {
      bump(s.by_day, this.days.dayOf(ts));
      this.first = Math.min(this.first, ts);
      this.last = Math.max(this.last, ts);
    } else bump(s.by_day, 'unknown');
  }

  result(): DlqSummary {
    return {
      ...this.summary,
      first_seen: Number.isFinite(this.first) ? new Date(this.first).toISOString() : null,
      last_seen: Number.isFinite(this.last) ? new Date(this.last).toISOString() : null,
    };
  }
}

/** The triples a contract_violation dead letter names; a header that does not parse names its event alone. */
function contractTriples(headers: DeadLetterHeaders): string[] {
  const event = headers[DLQ_HEADERS.contractEvent] ?? 'unknown';
  try {
    const pairs: unknown = JSON.parse(headers[DLQ_HEADERS.contractViolations] ?? '');
    if (Array.isArray(pairs)) {
      const triples = pairs
        .filter(
          (p): p is [string, string] =>
            Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string',
        )
        .map(([path, rule]) => `${event} ${path} ${rule}`);
      if (triples.length) return [...new Set(triples)];
    }
  } catch {
    // fall through: the first violation's headers
  }
  return [`${event} ${headers[DLQ_HEADERS.contractPath] ?? '?'} ${headers[DLQ_HEADERS.contractRule] ?? '?'}`];
}

function bump(counts: Record<string, number>, key: string) {
  // defineProperty-safe for any key a header may carry ("__proto__" included)
  Object.defineProperty(counts, key, {
    value: (Object.hasOwn(counts, key) ? (counts[key] as number) : 0) + 1,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** "90m", "24h", "7d" as milliseconds; null if it is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m) return null;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
