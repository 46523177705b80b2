/**
 * The close-out's archive: each closed day's report (its summary, which later
 * baselines read), and the monitor's record of its own close-outs (exported
 * as gauges, alerted on when stale). Summaries outlive the raw state.
 */

import type { StateKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';
import { allSettledOrThrow } from './redis-errors.ts';

const SUMMARY_TTL_DAYS = 400;
export const SUMMARY_TTL_SECONDS = SUMMARY_TTL_DAYS * 86_400;

export interface LastCloseout {
  day: string;
  atMs: number;
  durationMs: number;
  critical: number;
  warning: number;
}

export class CloseoutArchive {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: StateKeys,
  ) {}

  async saveSummary(day: string, summary: unknown): Promise<void> {
    await this.redis.set(
      this.keys.dayKey(day, 'summary'),
      JSON.stringify(summary),
      'EX',
      SUMMARY_TTL_SECONDS,
    );
  }

  async readSummary<T = unknown>(day: string): Promise<T | null> {
    const text = await this.redis.get(this.keys.dayKey(day, 'summary'));
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** Summaries of several days (baselines): one GET per day (each its own slot), sent together. */
  async readSummaries<T = unknown>(days: string[]): Promise<Map<string, T>> {
    if (days.length === 0) return new Map();
    const texts = await allSettledOrThrow(days.map((d) => this.redis.get(this.keys.dayKey(d, 'summary'))));
    const out = new Map<string, T>();
    texts.forEach((t, i) => {
      if (t !== null) out.set(days[i]!, JSON.parse(t) as T);
    });
    return out;
  }

  /** Record a close-out: the day among the closed days, and the last run's figures. */
  async recordCloseout(
    day: string,
    atMs: number,
    durationMs: number,
    alerts: { critical: number; warning: number },
  ) {
    const closedDays = this.keys.closedDays();
    await this.redis.zadd(closedDays, Date.parse(`${day}T00:00:00Z`) / 86_400_000, day);
    // as long as the summaries they point at, and no more days than those
    await this.redis.zremrangebyrank(closedDays, 0, -(SUMMARY_TTL_DAYS + 1));
    await this.redis.expire(closedDays, SUMMARY_TTL_SECONDS);
    await this.redis.hset(this.keys.closeout(), {
      last_day: day,
      last_success_ms: String(atMs),
      last_duration_ms: String(durationMs),
      last_critical: String(alerts.critical),
      last_warning: String(alerts.warning),
    });
    await this.redis.expire(this.keys.closeout(), SUMMARY_TTL_SECONDS);
  }

  /** The `n` latest days that were closed out, newest first. */
  async recentClosedDays(n: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.closedDays(), 0, n - 1);
  }

  async lastCloseout(): Promise<LastCloseout | null> {
    const h = await this.redis.hgetall(this.keys.closeout());
    if (!h.last_success_ms) return null;
    return {
      day: h.last_day ?? '',
      atMs: Number(h.last_success_ms),
      durationMs: Number(h.last_duration_ms ?? 0),
      critical: Number(h.last_critical ?? 0),
      warning: Number(h.last_warning ?? 0),
    };
  }
}
