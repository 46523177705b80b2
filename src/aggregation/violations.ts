/**
 * Tracking-plan violations of a batch, folded per (event, path, rule) triple:
 * how many events broke it, the first and last event time, and the Kafka
 * coordinates of the first few (never values: payloads carry personal data).
 * The apply script merges them into the day under the same watermark as the
 * counters. Pure.
 */

/** Samples kept per triple and day. */
export const MAX_SAMPLES = 5;

export interface Triple {
  eventName: string;
  path: string;
  rule: string;
}

/** Where a sampled event sits: enough to fetch it from Kafka, nothing of its content. */
export interface Coordinate {
  topic: string;
  partition: number;
  offset: string;
}

export interface ViolationTally {
  count: number;
  firstMs: number;
  lastMs: number;
  samples: string[];
}

/** The triple as one string (Redis hash field): names and paths are made control-free upstream, so a tab cannot occur. */
export const tripleKey = (t: Triple) => `${t.eventName}\t${t.path}\t${t.rule}`;

export function tripleOf(key: string): Triple {
  const [eventName = '', path = '', rule = ''] = key.split('\t');
  return { eventName, path, rule };
}

export const coordinateKey = (c: Coordinate) => `${c.topic}/${c.partition}/${c.offset}`;

export function coordinateOf(key: string): Coordinate {
  const last = key.lastIndexOf('/');
  const middle = key.lastIndexOf('/', last - 1);
  return {
    topic: key.slice(0, middle),
    partition: Number(key.slice(middle + 1, last)),
    offset: key.slice(last + 1),
  };
}

export class ViolationTallies {
  readonly byTriple = new Map<string, ViolationTally>();

  /** One event's violations: each (path, rule) once, as the plan's verdict lists them. */
  add(
    eventName: string,
    violations: readonly { path: string; rule: string }[],
    tsMs: number,
    at: Coordinate,
  ) {
    const sample = coordinateKey(at);
    for (const v of violations) {
      const key = tripleKey({ eventName, path: v.path, rule: v.rule });
      const t = this.byTriple.get(key);
      if (!t) {
        this.byTriple.set(key, { count: 1, firstMs: tsMs, lastMs: tsMs, samples: [sample] });
        continue;
      }
      t.count++;
      if (tsMs < t.firstMs) t.firstMs = tsMs;
      if (tsMs > t.lastMs) t.lastMs = tsMs;
      if (t.samples.length < MAX_SAMPLES) t.samples.push(sample);
    }
  }
}
