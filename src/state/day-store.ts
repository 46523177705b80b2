/**
 * The per-day state in Redis, behind one typed store. Each atomic operation
 * is a Lua script in ./lua (scripts.ts), loaded once and called by name
 * (EVALSHA, reloaded if Redis restarted); keys come from keys.ts and counters
 * go through counter-codec.ts, so this class names no key and no counter.
 */
import { type Redis, ReplyError } from 'ioredis';
import { type DayCounters, SESSION_LENGTH_BUCKETS } from '../aggregation/day-counters.ts';
import type { DayDelta } from '../aggregation/day-delta.ts';
import { MAX_SAMPLES } from '../aggregation/violations.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import type { ChannelRules } from '../config/monitor-config.ts';
import { DependencyUnavailableError, StateRejectedError } from '../errors.ts';
import { decodeCounters, encodeDelta } from './counter-codec.ts';
import { APPLY_DAY_BATCH_KEYS, READ_DAY_KEYS, StateKeys } from './keys.ts';
import { loadScript } from './scripts.ts';
import { decodeViolations, type ViolationRecord } from './violation-codec.ts';

/** The apply script's length buckets: finite upper bounds, ascending ("inf" is the rest). */
const BUCKET_BOUNDS = SESSION_LENGTH_BUCKETS.filter((b) => b !== 'inf').join(',');

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
  counters: DayCounters;
  clients: number;
  funnel: { atc: number; checkout: number; purchase: number };
  closed: boolean;
  /** Tracking-plan violations of the day, most frequent first. */
  violations: ViolationRecord[];
}

interface DayScripts {
  applyDayBatch(...args: (string | number)[]): Promise<[number, string]>;
  readDay(...args: string[]): Promise<[string[], number, number, number, number, number, string[]]>;
}

export interface DayStoreOptions {
  ttlDays: number;
  duplicateLookbackDays: number;
  /** Distinct tracking-plan violation triples a day keeps; the rest count as one overflow entry. */
  maxViolationTriples: number;
}

export const DEFAULT_DAY_STORE_OPTIONS: DayStoreOptions = {
  ttlDays: 35,
  duplicateLookbackDays: 0,
  maxViolationTriples: 200,
};

/** One day's slice of a batch, to be applied under the partition's watermark. */
export interface DaySlice {
  delta: DayDelta;
  partitionKey: string;
  lastOffset: number;
  expectedWatermark: number;
}

export class DayStore {
  private readonly redis: Redis & DayScripts;
  private readonly keys: StateKeys;

  constructor(
    redis: Redis,
    readonly namespace: string,
    private readonly options: DayStoreOptions = DEFAULT_DAY_STORE_OPTIONS,
  ) {
    if (!('applyDayBatch' in redis)) {
      redis.defineCommand('applyDayBatch', { lua: loadScript('apply-day-batch', APPLY_DAY_BATCH_KEYS) });
      redis.defineCommand('readDay', {
        numberOfKeys: READ_DAY_KEYS.length,
        lua: loadScript('read-day', READ_DAY_KEYS),
      });
    }
    this.redis = redis as Redis & DayScripts;
    this.keys = new StateKeys(namespace);
  }

  /** The last offset of `partitionKey` applied to each day (-1: none). One round trip. */
  async watermarks(days: string[], partitionKey: string): Promise<Map<string, number>> {
    const pipeline = this.redis.pipeline();
    for (const day of days) pipeline.hget(this.keys.dayKey(day, 'applied'), partitionKey);
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

  /**
   * Apply each day's slice of a batch (see lua/apply-day-batch.lua), all in one
   * pipeline; `channels` classifies each client's first touch.
   */
  async applyMany(slices: DaySlice[], channels: ChannelRules): Promise<ApplyResult[]> {
    const pipeline = this.redis.pipeline() as unknown as DayScripts & {
      exec(): Promise<[Error | null, unknown][]>;
    };
    for (const s of slices) {
      const day = s.delta.day;
      const lookback: string[] = [];
      for (let i = 1; i <= this.options.duplicateLookbackDays; i++) {
        lookback.push(this.keys.dayKey(DayResolver.previous(day, i), 'tx'));
      }
      const keys = [...this.keys.forScript(APPLY_DAY_BATCH_KEYS, day), ...lookback];
      pipeline.applyDayBatch(
        keys.length,
        ...keys,
        s.partitionKey,
        s.lastOffset,
        s.expectedWatermark,
        encodeDelta(s.delta, channels),
        this.options.ttlDays * 86_400,
        BUCKET_BOUNDS,
        this.options.maxViolationTriples,
        MAX_SAMPLES,
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
    const [flat, clients, atc, checkout, purchase, closed, contract] = await this.redis.readDay(
      ...this.keys.forScript(READ_DAY_KEYS, day),
    );
    return {
      day,
      counters: decodeCounters(flat),
      clients,
      funnel: { atc, checkout, purchase },
      closed: closed === 1,
      violations: decodeViolations(contract),
    };
  }

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

  /** Summaries of several days in one round trip (baselines). */
  async readSummaries<T = unknown>(days: string[]): Promise<Map<string, T>> {
    if (days.length === 0) return new Map();
    const texts = await this.redis.mget(...days.map((d) => this.keys.dayKey(d, 'summary')));
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
    const key = this.keys.shapes();
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

  /** The monitor's record of its own close-outs: exported as gauges, alerted on when stale. */
  async recordCloseout(
    day: string,
    atMs: number,
    durationMs: number,
    alerts: { critical: number; warning: number },
  ) {
    await this.redis.zadd(this.keys.closedDays(), Date.parse(`${day}T00:00:00Z`) / 86_400_000, day);
    await this.redis.hset(this.keys.closeout(), {
      last_day: day,
      last_success_ms: String(atMs),
      last_duration_ms: String(durationMs),
      last_critical: String(alerts.critical),
      last_warning: String(alerts.warning),
    });
  }

  /** The `n` latest days that were closed out, newest first. */
  async recentClosedDays(n: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.closedDays(), 0, n - 1);
  }

  async lastCloseout(): Promise<{
    day: string;
    atMs: number;
    durationMs: number;
    critical: number;
    warning: number;
  } | null> {
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

  /** Every key of this namespace (the tests' clean-up). */
  async deleteNamespace(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.dayKeysPattern(), 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    deleted += await this.redis.unlink(...this.keys.namespaceKeys());
    return deleted;
  }
}
