/**
 * The intraday schedule's alerts of each day, as first and last seen: one
 * hash per day beside its other keys. Each run's sightings go through
 * lua/record-sightings.lua, which keeps the earliest as an alert's first and
 * the latest as its last, whichever run writes when (the scheduler as it
 * runs, a backfill later); what a sighting holds is the intraday layer's
 * (intraday/alert-log.ts), kept here as text.
 */
import { withCommands } from './commands.ts';
import type { StateKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';
import { allSettledOrThrow, stateErrorOf } from './redis-errors.ts';

export interface StoredSightings {
  first: string;
  last: string;
}

/** One alert's sighting by one run: its key, the run's time (ISO 8601 UTC), its text. */
export interface Sighting {
  key: string;
  at: string;
  text: string;
}

const FIRST = 'first\t';
const LAST = 'last\t';

export class IntradayAlertLog {
  private readonly redis: ReturnType<typeof withCommands>;

  constructor(
    redis: RedisClient,
    private readonly keys: StateKeys,
    private readonly ttlDays: number,
  ) {
    this.redis = withCommands(redis);
  }

  /** One run's sightings of `day`'s alerts, each under its alert's key. */
  async record(day: string, sightings: readonly Sighting[]): Promise<void> {
    if (sightings.length === 0) return;
    await this.redis
      .recordSightings(
        this.keys.dayKey(day, 'intradayAlerts'),
        this.ttlDays * 86_400,
        ...sightings.flatMap((s) => [s.key, s.at, s.text]),
      )
      .catch((err: unknown) => {
        throw stateErrorOf(err);
      });
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
