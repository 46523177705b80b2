/**
 * The per-day state in Redis, behind a typed wrapper: the only module that
 * knows the key layout. Each atomic operation is a Lua script in ./lua,
 * loaded once and called by name (EVALSHA, reloaded if Redis restarted).
 *
 * Every key of one day shares the hash tag {namespace:day}, so one script can
 * update a day atomically and the layout works unchanged on Redis Cluster.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Redis, ReplyError } from 'ioredis';
import { DependencyUnavailableError, StateRejectedError } from '../errors.ts';
import { DayResolver } from '../validation/day.ts';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');
const lua = (name: string) => readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');

/** Close-out summaries outlive the raw state: later baselines read them. */
const SUMMARY_TTL_SECONDS = 400 * 86_400;

/**
 * Redis error codes (the reply's first word) that say the server cannot serve
 * right now, rather than that it refuses this input: loading, busy, a replica,
 * a cluster failing over, out of memory.
 */
const TRANSIENT_REDIS_CODES = new Set([
  'LOADING',
  'BUSY',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MOVED',
  'ASK',
  'NOREPLICAS',
  'OOM',
]);

/** A Redis failure as a typed error: a refusal of this input, or Redis being unavailable. */
export function stateErrorOf(err: unknown): Error {
  // a reply from Redis (ioredis types ReplyError as any): its first word is Redis's error code
  if (err instanceof (ReplyError as typeof Error)) {
    const code = /^[A-Z]+/.exec((err as Error).message)?.[0] ?? 'ERR';
    if (!TRANSIENT_REDIS_CODES.has(code)) return new StateRejectedError(code, err);
  }
  if (err instanceof StateRejectedError || err instanceof DependencyUnavailableError) return err;
  return new DependencyUnavailableError(
    'redis',
    `redis unavailable (${(err as Error)?.name ?? 'error'})`,
    err,
  );
}

export type ApplyResult =
  | { status: 'applied'; watermark: number; duplicates: number }
  | { status: 'already_applied'; watermark: number }
  | { status: 'watermark_moved'; watermark: number };

export interface DaySnapshot {
  day: string;
  counters: Record<string, number>;
  clients: number;
  funnel: { atc: number; checkout: number; purchase: number };
  closed: boolean;
}

interface DayScripts {
  applyDayBatch(...args: (string | number)[]): Promise<[number, string]>;
  readDay(...args: string[]): Promise<[string[], number, number, number, number, number]>;
}

export interface DayStateOptions {
  ttlDays: number;
  duplicateLookbackDays: number;
}

export class DayState {
  private readonly redis: Redis & DayScripts;

  constructor(
    redis: Redis,
    readonly namespace: string,
    private readonly options: DayStateOptions = { ttlDays: 35, duplicateLookbackDays: 0 },
  ) {
    if (!('applyDayBatch' in redis)) {
      redis.defineCommand('applyDayBatch', { lua: lua('apply-day-batch') });
      redis.defineCommand('readDay', { numberOfKeys: 6, lua: lua('read-day') });
    }
    this.redis = redis as Redis & DayScripts;
  }

  private key(day: string, part: string) {
    return `em:{${this.namespace}:${day}}:${part}`;
  }

  private dayKeys(day: string) {
    return {
      counters: this.key(day, 'counters'),
      applied: this.key(day, 'applied'),
      tx: this.key(day, 'tx'),
      firstTouch: this.key(day, 'first_touch'),
      atc: this.key(day, 'funnel:atc'),
      checkout: this.key(day, 'funnel:checkout'),
      purchase: this.key(day, 'funnel:purchase'),
      summary: this.key(day, 'summary'),
      sessions: this.key(day, 'sessions'),
    };
  }

  /** The last offset of `partitionKey` applied to each day (-1: none). One round trip. */
  async watermarks(days: string[], partitionKey: string): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    for (const day of days) pipeline.hget(this.dayKeys(day).applied, partitionKey);
    const replies =
      (await pipeline.exec().catch((err: unknown) => {
        throw stateErrorOf(err);
      })) ?? [];
    const out = new Map<string, number>();
    days.forEach((day, i) => {
      const [err, value] = replies[i] ?? [null, null];
      if (err) throw stateErrorOf(err);
      out.set(day, value === null || value === undefined ? -1 : Number(value));
    });
    return out;
  }

  /** Apply one day's slice of a batch (see lua/apply-day-batch.lua). Many days go in one pipeline. */
  async applyMany(
    slices: {
      day: string;
      partitionKey: string;
      lastOffset: number;
      expectedWatermark: number;
      payload: string;
    }[],
  ): Promise<ApplyResult[]> {
    const pipeline = this.redis.pipeline() as unknown as DayScripts & {
      exec(): Promise<[Error | null, unknown][]>;
    };
    for (const s of slices) {
      const k = this.dayKeys(s.day);
      const lookback: string[] = [];
      for (let i = 1; i <= this.options.duplicateLookbackDays; i++) {
        lookback.push(this.dayKeys(DayResolver.previous(s.day, i)).tx);
      }
      const keys = [
        k.counters,
        k.applied,
        k.tx,
        k.firstTouch,
        k.atc,
        k.checkout,
        k.purchase,
        k.summary,
        k.sessions,
        ...lookback,
      ];
      pipeline.applyDayBatch(
        keys.length,
        ...keys,
        s.partitionKey,
        s.lastOffset,
        s.expectedWatermark,
        s.payload,
        this.options.ttlDays * 86_400,
      );
    }
    const replies = await pipeline.exec().catch((err: unknown) => {
      throw stateErrorOf(err);
    });
    return replies.map(([err, reply]) => {
      if (err) throw stateErrorOf(err);
      const [code, watermark, duplicates] = reply as [number, string, number?];
      const w = Number(watermark);
      return code === 1
        ? { status: 'applied', watermark: w, duplicates: duplicates ?? 0 }
        : code === 0
          ? { status: 'already_applied', watermark: w }
          : { status: 'watermark_moved', watermark: w };
    });
  }

  async read(day: string): Promise<DaySnapshot> {
    const k = this.dayKeys(day);
    const [flat, clients, atc, checkout, purchase, closed] = await this.redis.readDay(
      k.counters,
      k.firstTouch,
      k.atc,
      k.checkout,
      k.purchase,
      k.summary,
    );
    const counters: Record<string, number> = {};
    for (let i = 0; i < flat.length; i += 2) counters[flat[i]!] = Number(flat[i + 1]);
    return { day, counters, clients, funnel: { atc, checkout, purchase }, closed: closed === 1 };
  }

  async saveSummary(day: string, summary: unknown): Promise<void> {
    await this.redis.set(this.dayKeys(day).summary, JSON.stringify(summary), 'EX', SUMMARY_TTL_SECONDS);
  }

  async readSummary<T = unknown>(day: string): Promise<T | null> {
    const text = await this.redis.get(this.dayKeys(day).summary);
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** Summaries of several days in one round trip (baselines). */
  async readSummaries<T = unknown>(days: string[]): Promise<Map<string, T>> {
    if (days.length === 0) return new Map();
    const texts = await this.redis.mget(...days.map((d) => this.dayKeys(d).summary));
    const out = new Map<string, T>();
    texts.forEach((t, i) => {
      if (t !== null) out.set(days[i]!, JSON.parse(t) as T);
    });
    return out;
  }

  /**
   * Remember field sets and schema ids across days; returns those never seen
   * before in this namespace. Not part of a day's atomic apply (another hash
   * slot): SADD is idempotent, so a redelivery finds nothing new.
   */
  async rememberShapes(shapes: string[]): Promise<string[]> {
    if (shapes.length === 0) return [];
    const key = `em:{${this.namespace}}:shapes`;
    const pipeline = this.redis.pipeline();
    pipeline.exists(key);
    for (const s of shapes) pipeline.sadd(key, s);
    const replies =
      (await pipeline.exec().catch((err: unknown) => {
        throw stateErrorOf(err);
      })) ?? [];
    for (const [err] of replies) if (err) throw stateErrorOf(err);
    const firstEver = replies[0]?.[1] === 0;
    // the very first shapes of a namespace are its baseline, not a change
    return firstEver ? [] : shapes.filter((_, i) => replies[i + 1]?.[1] === 1);
  }

  private closeoutKey() {
    return `em:{${this.namespace}}:closeout`;
  }

  /** The monitor's record of its own close-outs: exported as gauges, alerted on when stale. */
  async recordCloseout(
    day: string,
    atMs: number,
    durationMs: number,
    alerts: { critical: number; warning: number },
  ) {
    await this.redis.zadd(this.closedDaysKey(), Date.parse(`${day}T00:00:00Z`) / 86_400_000, day);
    await this.redis.hset(this.closeoutKey(), {
      last_day: day,
      last_success_ms: String(atMs),
      last_duration_ms: String(durationMs),
      last_critical: String(alerts.critical),
      last_warning: String(alerts.warning),
    });
  }

  private closedDaysKey() {
    return `em:{${this.namespace}}:closed_days`;
  }

  /** The `n` latest days that were closed out, newest first. */
  async recentClosedDays(n: number): Promise<string[]> {
    return this.redis.zrevrange(this.closedDaysKey(), 0, n - 1);
  }

  async lastCloseout(): Promise<{
    day: string;
    atMs: number;
    durationMs: number;
    critical: number;
    warning: number;
  } | null> {
    const h = await this.redis.hgetall(this.closeoutKey());
    if (!h.last_success_ms) return null;
    return {
      day: h.last_day ?? '',
      atMs: Number(h.last_success_ms),
      durationMs: Number(h.last_duration_ms ?? 0),
      critical: Number(h.last_critical ?? 0),
      warning: Number(h.last_warning ?? 0),
    };
  }

  /** Every key of this namespace (tests, and `event-monitor reset`). */
  async deleteNamespace(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `em:{${this.namespace}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    deleted += await this.redis.unlink(
      this.closeoutKey(),
      this.closedDaysKey(),
      `em:{${this.namespace}}:shapes`,
    );
    return deleted;
  }
}
