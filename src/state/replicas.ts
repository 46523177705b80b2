/**
 * How a batch's writes are made safe against a failover: Redis WAIT for the
 * replicas that must hold them, under a policy for a shard that has fewer
 * replicas than required. A replica that lags is waited for; a shard that
 * lost its replicas (a node gone for good) is, under `available`, written
 * with the replicas it still has once the grace period is over, and under
 * `strict` not written until they are back. Redis Cluster's own promise is
 * to survive the loss of any one node; this keeps the monitor's.
 */
import type { Redis } from 'ioredis';
import type { Env } from '../config/env.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { isCluster, type RedisClient } from './redis.ts';

export type ReplicaPolicy = Env['REDIS_REPLICA_POLICY'];

export interface ReplicaOptions {
  /** Replicas that must hold a batch's writes (0: no WAIT at all). */
  minReplicas: number;
  timeoutMs: number;
  policy: ReplicaPolicy;
  /** How long a shard may lack replicas before `available` writes without them. */
  graceMs: number;
  now?: () => number;
}

/** Too few replicas acknowledged a batch's writes in time: retry it, and commit nothing until they do. */
export class ReplicasBehindError extends DependencyUnavailableError {
  /** What holds the batch, for em_batches_blocked{reason}. */
  readonly blockedReason = 'replicas';

  constructor(acknowledged: number, required: number, timeoutMs: number, lost: boolean) {
    super(
      'redis',
      lost
        ? `the shard has fewer than ${required} replicas connected; the batch waits before its offsets are committed`
        : `writes reached ${acknowledged} of ${required} required replicas within ${timeoutMs} ms; the batch is retried before its offsets are committed`,
    );
  }
}

/** The replicas a master has connected right now (ROLE). */
async function connectedReplicas(node: Redis): Promise<number> {
  const role = (await node.call('ROLE')) as [string, number, unknown[]?];
  // a master demoted under us (a failover under way): let the retry find the new one
  if (role[0] !== 'master')
    throw new DependencyUnavailableError('redis', 'the day’s master is no longer a master');
  return Array.isArray(role[2]) ? role[2].length : 0;
}

export type Replication = 'replicated' | 'degraded';

export class ReplicaWaiter {
  /** Masters ("host:port") seen with fewer replicas than required, since when. */
  private readonly short = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: ReplicaOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Until the writes on `node` are on the replicas they must be on: resolves
   * `replicated` (all required), or `degraded` (the shard lacks replicas,
   * `available` policy, grace over: on every replica it still has); throws a
   * retriable ReplicasBehindError otherwise.
   */
  async await(node: Redis, master: string): Promise<Replication> {
    const { minReplicas, timeoutMs } = this.o;
    if (this.pastGrace(master)) {
      const connected = await connectedReplicas(node);
      if (connected < minReplicas) return this.degraded(node, connected);
      this.short.delete(master); // its replicas are back: wait for all again
    }
    const acknowledged = (await node.call('WAIT', minReplicas, timeoutMs)) as number;
    if (acknowledged >= minReplicas) {
      this.short.delete(master);
      return 'replicated';
    }
    const connected = await connectedReplicas(node);
    const lost = connected < minReplicas;
    if (lost && !this.short.has(master)) this.short.set(master, this.now());
    if (lost && this.pastGrace(master)) return this.degraded(node, connected);
    throw new ReplicasBehindError(acknowledged, minReplicas, timeoutMs, lost);
  }

  private pastGrace(master: string): boolean {
    const since = this.short.get(master);
    return this.o.policy === 'available' && since !== undefined && this.now() - since >= this.o.graceMs;
  }

  /** The writes on every replica the shard still has (none: nothing to wait for). */
  private async degraded(node: Redis, connected: number): Promise<Replication> {
    if (connected === 0) return 'degraded';
    const acknowledged = (await node.call('WAIT', connected, this.o.timeoutMs)) as number;
    if (acknowledged >= connected) return 'degraded';
    throw new ReplicasBehindError(acknowledged, connected, this.o.timeoutMs, false);
  }
}

/** A shard and the replicas it has online: its slot ranges (a cluster) or "all" (one Redis). */
export interface ShardReplicas {
  shard: string;
  replicas: number;
}

/** Every shard's online replicas, as the cluster reports them (CLUSTER SHARDS), or the one Redis's (ROLE). */
export async function shardReplicas(redis: RedisClient): Promise<ShardReplicas[]> {
  if (!isCluster(redis)) return [{ shard: 'all', replicas: await connectedReplicas(redis) }];
  const shards = (await redis.call('CLUSTER', 'SHARDS')) as unknown[][];
  const out: ShardReplicas[] = [];
  for (const shard of shards) {
    const fields = pairs(shard);
    const slots = (fields.get('slots') as number[] | undefined) ?? [];
    if (slots.length === 0) continue; // a shard of no slots: replicas waiting to be assigned
    const ranges: string[] = [];
    for (let i = 0; i + 1 < slots.length; i += 2) ranges.push(`${slots[i]}-${slots[i + 1]}`);
    const nodes = ((fields.get('nodes') as unknown[][] | undefined) ?? []).map(pairs);
    const replicas = nodes.filter((n) => n.get('role') === 'replica' && n.get('health') === 'online').length;
    out.push({ shard: ranges.join(','), replicas });
  }
  return out;
}

/** A flat [name, value, name, value, …] reply as a Map. */
function pairs(flat: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), flat[i + 1]);
  return m;
}
