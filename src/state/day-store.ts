/**
 * The per-day state in Redis, behind one typed store. Each atomic operation
 * is a Lua script in ./lua (scripts.ts), loaded once and called by name
 * (EVALSHA, reloaded if Redis restarted); keys come from keys.ts and counters
 * go through counter-codec.ts, so this class names no key and no counter.
 *
 * The same on one Redis and on a Redis Cluster: each command touches one day
 * (one hash slot); what spans days is one command per day, sent together.
 */
import calculateSlot from 'cluster-key-slot';
import { type Redis, ReplyError } from 'ioredis';
import { z } from 'zod';
import { type DayCounters, SESSION_LENGTH_BUCKETS } from '../aggregation/day-counters.ts';
import type { DayDelta } from '../aggregation/day-delta.ts';
import type { IntradayDay } from '../aggregation/intraday.ts';
import { MAX_SAMPLES } from '../aggregation/violations.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import type { ChannelRules } from '../config/monitor-config.ts';
import { DependencyUnavailableError, StateRejectedError } from '../errors.ts';
import { decodeCounters, encodeDelta, scalarField } from './counter-codec.ts';
import { decodeIntraday } from './intraday-codec.ts';
import { APPLY_DAY_BATCH_KEYS, READ_DAY_KEYS, StateKeys } from './keys.ts';
import { isCluster, type RedisClient } from './redis.ts';
import { type ReplicaPolicy, ReplicaWaiter, type ShardReplicas, shardReplicas } from './replicas.ts';
import { loadScript } from './scripts.ts';
import { decodeViolations, type ViolationRecord } from './violation-codec.ts';

/** The apply script's length buckets: finite upper bounds, ascending ("inf" is the rest). */
const BUCKET_BOUNDS = SESSION_LENGTH_BUCKETS.filter((b) => b !== 'inf').join(',');

/** Close-out summaries outlive the raw state: later baselines read them. */
const SUMMARY_TTL_DAYS = 400;
const SUMMARY_TTL_SECONDS = SUMMARY_TTL_DAYS * 86_400;

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
  | { status: 'watermark_moved'; watermark: number }
  /** Nothing written: the day already counted these event ids (a retried send); the caller folds them as duplicates. */
  | { status: 'events_seen'; watermark: number; eventIds: string[] };

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
  rememberShapes(key: string, ...args: (string | number)[]): Promise<[number, number, ...string[]]>;
}

/** incident and expected keep the day out of the check's baselines; false_positive counts against the check. */
export const FEEDBACK_VERDICTS = ['incident', 'expected', 'false_positive'] as const;

/** What someone said of a check's alert on a day, as stored (the day and check are its field). */
const FeedbackRecordSchema = z.object({
  verdict: z.enum(FEEDBACK_VERDICTS),
  note: z.string(),
  atMs: z.number(),
});
export type FeedbackEntry = z.infer<typeof FeedbackRecordSchema> & { day: string; check: string };

export interface DayStoreOptions {
  ttlDays: number;
  duplicateLookbackDays: number;
  /** Distinct tracking-plan violation triples a day keeps; the rest count as one overflow entry. */
  maxViolationTriples: number;
  /** Replicas that must hold a batch's writes before it counts as done (Redis WAIT); 0: none. */
  minReplicas: number;
  /** How long to wait for them before the batch fails (retriable) and its offsets stay uncommitted. */
  replicaTimeoutMs: number;
  /** A shard with fewer replicas than required: written without them after the grace (`available`), or not (`strict`). */
  replicaPolicy: ReplicaPolicy;
  replicaGraceMs: number;
  /** Field sets and schema ids a namespace remembers at most (what senders vary must stay bounded). */
  maxShapes: number;
  /** How long a day remembers the event ids it counted (hours after its last write); 0: no deduplication by id. */
  eventIdWindowHours: number;
}

export const DEFAULT_DAY_STORE_OPTIONS: DayStoreOptions = {
  ttlDays: 35,
  duplicateLookbackDays: 0,
  maxViolationTriples: 200,
  minReplicas: 0,
  replicaTimeoutMs: 2000,
  replicaPolicy: 'available',
  replicaGraceMs: 30_000,
  maxShapes: 10_000,
  eventIdWindowHours: 48,
};

/** Every promise settled; then the first failure, as a typed state error. */
async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw stateErrorOf((failed as PromiseRejectedResult).reason);
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** One day's slice of a batch, to be applied under the partition's watermark. */
export interface DaySlice {
  delta: DayDelta;
  partitionKey: string;
  lastOffset: number;
  expectedWatermark: number;
}

export class DayStore {
  private readonly redis: RedisClient & DayScripts;
  private readonly keys: StateKeys;
  private readonly options: DayStoreOptions;
  private readonly replicas: ReplicaWaiter | undefined;

  constructor(
    redis: RedisClient,
    readonly namespace: string,
    options: Partial<DayStoreOptions> = {},
  ) {
    this.options = { ...DEFAULT_DAY_STORE_OPTIONS, ...options };
    if (!('applyDayBatch' in redis)) {
      redis.defineCommand('applyDayBatch', {
        numberOfKeys: APPLY_DAY_BATCH_KEYS.length,
        lua: loadScript('apply-day-batch', APPLY_DAY_BATCH_KEYS),
      });
      redis.defineCommand('readDay', {
        numberOfKeys: READ_DAY_KEYS.length,
        lua: loadScript('read-day', READ_DAY_KEYS),
      });
      redis.defineCommand('rememberShapes', { numberOfKeys: 1, lua: loadScript('remember-shapes') });
    }
    this.redis = redis as RedisClient & DayScripts;
    this.keys = new StateKeys(namespace);
    const o = this.options;
    this.replicas =
      o.minReplicas > 0
        ? new ReplicaWaiter({
            minReplicas: o.minReplicas,
            timeoutMs: o.replicaTimeoutMs,
            policy: o.replicaPolicy,
            graceMs: o.replicaGraceMs,
          })
        : undefined;
  }

  /** The last offset of `partitionKey` applied to each day (-1: none). One command per day, sent together. */
  async watermarks(days: string[], partitionKey: string): Promise<Map<string, number>> {
    const values = await allSettledOrThrow(
      days.map((day) => this.redis.hget(this.keys.dayKey(day, 'applied'), partitionKey)),
    );
    return new Map(days.map((day, i) => [day, values[i] === null ? -1 : Number(values[i])]));
  }

  /**
   * Apply each day's slice of a batch (see lua/apply-day-batch.lua), one
   * script call per day, sent together; `channels` classifies each client's
   * first touch.
   */
  async applyMany(slices: DaySlice[], channels: ChannelRules): Promise<ApplyResult[]> {
    const replies = await allSettledOrThrow(
      slices.map(async (s) => {
        const earlier = await this.seenOnEarlierDays(s.delta);
        return this.redis.applyDayBatch(
          ...this.keys.forScript(APPLY_DAY_BATCH_KEYS, s.delta.day),
          s.partitionKey,
          s.lastOffset,
          s.expectedWatermark,
          encodeDelta(s.delta, channels),
          this.options.ttlDays * 86_400,
          BUCKET_BOUNDS,
          this.options.maxViolationTriples,
          MAX_SAMPLES,
          JSON.stringify(earlier),
          this.options.eventIdWindowHours * 3600,
        );
      }),
    );
    return replies.map((reply) => {
      const [code, watermark, third] = reply as [number, string, (number | string[])?];
      const w = Number(watermark);
      return code === 1
        ? { status: 'applied', watermark: w, duplicates: (third as number | undefined) ?? 0 }
        : code === 0
          ? { status: 'already_applied', watermark: w }
          : code === -2
            ? { status: 'events_seen', watermark: w, eventIds: third as string[] }
            : { status: 'watermark_moved', watermark: w };
    });
  }

  /**
   * The duplicate look-back: which of the slice's transaction ids the previous
   * days already hold. Read before the apply, one HMGET per earlier day (each
   * its own hash slot), and handed to the script, which then touches one day
   * only. A redelivered slice is skipped by its watermark, so the answer read
   * for it never counts twice.
   */
  private async seenOnEarlierDays(delta: DayDelta): Promise<string[]> {
    const ids = [...new Set(delta.transactions.map(([id]) => id))];
    if (this.options.duplicateLookbackDays === 0 || ids.length === 0) return [];
    const days = Array.from({ length: this.options.duplicateLookbackDays }, (_, i) =>
      DayResolver.previous(delta.day, i + 1),
    );
    const found = await Promise.all(days.map((d) => this.redis.hmget(this.keys.dayKey(d, 'tx'), ...ids)));
    return ids.filter((_, i) => found.some((values) => values[i] !== null));
  }

  /**
   * Wait until the writes to these days are on the replicas they must be on
   * (Redis WAIT on each day's master, under the replica policy: replicas.ts).
   * The consumer calls it before a batch counts as done, so no offset is
   * committed for writes a failover could still lose. Too few in time: a
   * retriable ReplicasBehindError; the batch is retried, finds itself applied
   * (or, after a failover that lost it, applies again) and waits again.
   * Returns the days written with fewer replicas than required (a shard that
   * lost its replicas, `available` policy); each such day counts the batch.
   */
  async awaitReplicas(days: string[]): Promise<string[]> {
    if (!this.replicas || days.length === 0) return [];
    const waiter = this.replicas;
    const byMaster = this.mastersOf(days);
    const outcomes = await allSettledOrThrow(
      [...byMaster].map(async ([node, ds]) => {
        const master = `${node.options.host}:${node.options.port}`;
        return (await waiter.await(node, master)) === 'degraded' ? ds : [];
      }),
    );
    const degraded = outcomes.flat();
    if (degraded.length > 0) {
      // A note beside the day's counters, for the close-out to say the day was written without its
      // replicas. Outside the atomic apply: a crash between the two may count a batch twice, which
      // only says so louder; the expiry is the day's, as the apply sets it.
      const ttl = this.options.ttlDays * 86_400;
      await allSettledOrThrow(
        degraded.map((day) => {
          const key = this.keys.dayKey(day, 'counters');
          return this.redis
            .multi()
            .hincrby(key, scalarField('batchesWithoutReplica'), 1)
            .expire(key, ttl)
            .exec();
        }),
      );
    }
    return degraded;
  }

  /** Every shard's online replicas, and how many a batch's writes must reach. */
  async redundancy(): Promise<{ required: number; shards: ShardReplicas[] }> {
    return { required: this.options.minReplicas, shards: await shardReplicas(this.redis) };
  }

  /** The connections that carried writes to these days, each with its days: the master of each day's slot, or the one Redis. */
  private mastersOf(days: string[]): Map<Redis, string[]> {
    const redis = this.redis;
    if (!isCluster(redis)) return new Map([[redis, days]]);
    const masters = redis.nodes('master');
    const out = new Map<Redis, string[]>();
    for (const day of days) {
      const owner = redis.slots[calculateSlot(this.keys.dayKey(day, 'applied'))]?.[0];
      const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
      // slots not known (a failover under way): let the retry find the new master
      if (!node) throw stateErrorOf(new Error(`no known master for day ${day}`));
      out.set(node, [...(out.get(node) ?? []), day]);
    }
    return out;
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

  /** The intraday slots of these days (each its own slot on a cluster), by day. */
  async readIntraday(days: string[]): Promise<Map<string, IntradayDay>> {
    const hashes = await allSettledOrThrow(
      days.map((d) => this.redis.hgetall(this.keys.dayKey(d, 'intraday'))),
    );
    return new Map(days.map((d, i) => [d, decodeIntraday(hashes[i]!)]));
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

  /**
   * Remember field sets and schema ids across days (lua/remember-shapes.lua):
   * returns those not seen in this namespace within the state's TTL, and how
   * many it could not keep (over `maxShapes`). Not part of a day's atomic
   * apply (another hash slot): remembering is idempotent, so a redelivery
   * finds nothing new.
   */
  async rememberShapes(
    shapes: string[],
    nowMs = Date.now(),
  ): Promise<{ fresh: string[]; untracked: number }> {
    if (shapes.length === 0) return { fresh: [], untracked: 0 };
    const [first, untracked, ...fresh] = await this.redis
      .rememberShapes(
        this.keys.shapes(),
        nowMs,
        this.options.ttlDays * 86_400,
        this.options.maxShapes,
        ...shapes,
      )
      .catch((err: unknown) => {
        throw stateErrorOf(err);
      });
    // the very first shapes of a namespace are its baseline, not a change
    return { fresh: first === 1 ? [] : fresh, untracked };
  }

  /** Record what people said of a check's alert on a day (the latest word counts). */
  async saveFeedback(entry: FeedbackEntry): Promise<void> {
    const { day, check, ...rest } = entry;
    await this.redis.hset(this.keys.feedback(), `${day}\t${check}`, JSON.stringify(rest));
    // verdicts serve baselines as long as the summaries they judge
    await this.redis.expire(this.keys.feedback(), SUMMARY_TTL_SECONDS);
  }

  /** Every verdict people gave in this namespace, by day then check. */
  async readFeedback(): Promise<FeedbackEntry[]> {
    const hash = await this.redis.hgetall(this.keys.feedback());
    return Object.entries(hash)
      .flatMap(([field, value]) => {
        const [day, check] = field.split('\t');
        const record = FeedbackRecordSchema.safeParse(JSON.parse(value));
        return record.success && day && check ? [{ day, check, ...record.data }] : [];
      })
      .sort((a, b) => a.day.localeCompare(b.day) || a.check.localeCompare(b.check));
  }

  /** The monitor's record of its own close-outs: exported as gauges, alerted on when stale. */
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

  /** Every key of this namespace (the tests' clean-up): scanned on each master, unlinked one by one. */
  async deleteNamespace(): Promise<number> {
    const redis = this.redis;
    const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', this.keys.dayKeysPattern(), 'COUNT', 1000);
        cursor = next;
        const counts = await Promise.all(keys.map((k) => redis.unlink(k)));
        deleted += counts.reduce((a, b) => a + b, 0);
      } while (cursor !== '0');
    }
    for (const key of this.keys.namespaceKeys()) deleted += await redis.unlink(key);
    return deleted;
  }
}
