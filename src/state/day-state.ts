/**
 * The per-day state the stream writes: each batch's slices applied exactly
 * once under their partition's watermark, the replicas waited for, the field
 * sets remembered; and the days read back (the close-out's snapshot, the
 * intraday slots). Each atomic operation is a Lua script in ./lua, called
 * through commands.ts (which decodes its reply); keys come from keys.ts and
 * counters go through counter-codec.ts, so this class names no key and no counter.
 *
 * The same on one Redis and on a Redis Cluster: each command touches one day
 * (one hash slot); what spans days is one command per day, sent together.
 */
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { SESSION_LENGTH_BUCKETS } from '../aggregation/day-counters.ts';
import type { DayDelta } from '../aggregation/day-delta.ts';
import type { IntradayDay } from '../aggregation/intraday.ts';
import { MAX_SAMPLES } from '../aggregation/violations.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import {
  type ApplyResult,
  applyResultOf,
  type DaySnapshot,
  type StateCommands,
  shapesReplyOf,
  snapshotOf,
  withCommands,
} from './commands.ts';
import { encodeDelta, scalarField } from './counter-codec.ts';
import { decodeIntraday } from './intraday-codec.ts';
import { APPLY_DAY_BATCH_KEYS, READ_DAY_KEYS, type StateKeys } from './keys.ts';
import { isCluster, type RedisClient } from './redis.ts';
import { allSettledOrThrow, stateErrorOf } from './redis-errors.ts';
import { type ReplicaPolicy, ReplicaWaiter, type ShardReplicas, shardReplicas } from './replicas.ts';

export type { ApplyResult, DaySnapshot } from './commands.ts';

/** The apply script's length buckets: finite upper bounds, ascending ("inf" is the rest). */
const BUCKET_BOUNDS = SESSION_LENGTH_BUCKETS.filter((b) => b !== 'inf').join(',');

export interface DayStateOptions {
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

export const DEFAULT_DAY_STATE_OPTIONS: DayStateOptions = {
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

/** One day's slice of a batch, to be applied under the partition's watermark. */
export interface DaySlice {
  delta: DayDelta;
  partitionKey: string;
  lastOffset: number;
  expectedWatermark: number;
}

export class DayState {
  private readonly redis: RedisClient & StateCommands;
  private readonly keys: StateKeys;
  private readonly options: DayStateOptions;
  private readonly replicas: ReplicaWaiter | undefined;

  constructor(redis: RedisClient, keys: StateKeys, options: Partial<DayStateOptions> = {}) {
    this.options = { ...DEFAULT_DAY_STATE_OPTIONS, ...options };
    this.redis = withCommands(redis);
    this.keys = keys;
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
   * script call per day, sent together.
   */
  async applyMany(slices: DaySlice[]): Promise<ApplyResult[]> {
    const replies = await allSettledOrThrow(
      slices.map(async (s) => {
        const earlier = await this.seenOnEarlierDays(s.delta);
        return this.redis.applyDayBatch(
          ...this.keys.forScript(APPLY_DAY_BATCH_KEYS, s.delta.day),
          s.partitionKey,
          s.lastOffset,
          s.expectedWatermark,
          encodeDelta(s.delta),
          this.options.ttlDays * 86_400,
          BUCKET_BOUNDS,
          this.options.maxViolationTriples,
          MAX_SAMPLES,
          JSON.stringify(earlier),
          this.options.eventIdWindowHours * 3600,
        );
      }),
    );
    return replies.map(applyResultOf);
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
    return snapshotOf(day, await this.redis.readDay(...this.keys.forScript(READ_DAY_KEYS, day)));
  }

  /** The intraday slots of these days (each its own slot on a cluster), by day. */
  async readIntraday(days: string[]): Promise<Map<string, IntradayDay>> {
    const hashes = await allSettledOrThrow(
      days.map((d) => this.redis.hgetall(this.keys.dayKey(d, 'intraday'))),
    );
    return new Map(days.map((d, i) => [d, decodeIntraday(hashes[i]!)]));
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
    const reply = await this.redis
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
    const { first, untracked, fresh } = shapesReplyOf(reply);
    // the very first shapes of a namespace are its baseline, not a change
    return { fresh: first ? [] : fresh, untracked };
  }
}
