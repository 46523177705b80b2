/**
 * The intraday schedule's alerts of each day, as first and last seen: one
 * hash per day beside its other keys. The first sighting of an alert is
 * written once (HSETNX), the last on every run that raises it, both in one
 * transaction on the day's one key; what they hold is the intraday layer's
 * (intraday/alert-log.ts), kept here as text.
 */
import type { StateKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';
import { allSettledOrThrow, stateErrorOf } from './redis-errors.ts';

export interface StoredSightings {
  first: string;
  last: string;
}

const FIRST = 'first\t';
const LAST = 'last\t';

export class IntradayAlertLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: StateKeys,
    private readonly ttlDays: number,
  ) {}

  /** One run's sightings of `day`'s alerts, each under its alert's key. */
  async record(day: string, sightings: readonly { key: string; text: string }[]): Promise<void> {
    if (sightings.length === 0) return;
    const hash = this.keys.dayKey(day, 'intradayAlerts');
    const tx = this.redis.multi();
    for (const s of sightings) {
      tx.hsetnx(hash, FIRST + s.key, s.text);
      tx.hset(hash, LAST + s.key, s.text);
    }
    tx.expire(hash, this.ttlDays * 86_400);
    let replies: Awaited<ReturnType<typeof tx.exec>>;
    try {
      replies = await tx.exec();
    } catch (err) {
      throw stateErrorOf(err);
    }
    const failed = replies?.find(([err]) => err);
    if (failed) throw stateErrorOf(failed[0]);
  }

  /** Each day's stored sightings, by alert (one HGETALL per day, sent together). */
  async read(days: readonly string[]): Promise<Map<string, StoredSightings[]>> {
    const hashes = await allSettledOrThrow(
      days.map((d) => this.redis.hgetall(this.keys.dayKey(d, 'intradayAlerts'))),
    );
    return new Map(
      days.map((d, i) => {
        const h = hashes[i]!;
        const out: StoredSightings[] = [];
        for (const [field, first] of Object.entries(h)) {
          if (!field.startsWith(FIRST)) continue;
          out.push({ first, last: h[LAST + field.slice(FIRST.length)] ?? first });
        }
        return [d, out];
      }),
    );
  }
}
