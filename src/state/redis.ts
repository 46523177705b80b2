/**
 * The Redis client: one server from REDIS_URL (redis:// or rediss:// for TLS),
 * or a Redis Cluster from REDIS_CLUSTER_NODES; a password in the URL or in
 * REDIS_PASSWORD_FILE either way. Commands fail fast while Redis is down so
 * the consumer can back off and retry whole batches; the connection itself
 * keeps reconnecting forever.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type Env, readSecret } from '../config/env.ts';

/** What the state layer talks to: one Redis, or a cluster of them. */
export type RedisClient = Redis | Cluster;

type RedisEnv = Pick<Env, 'REDIS_URL' | 'REDIS_PASSWORD_FILE' | 'REDIS_CLUSTER_NODES'>;

export function createRedis(env: RedisEnv, name = 'event-monitor'): RedisClient {
  const password = readSecret(undefined, env.REDIS_PASSWORD_FILE);
  const options = {
    connectionName: name,
    ...(password ? { password } : {}),
    maxRetriesPerRequest: 1,
    // a command that never answers must fail, so the batch is retried instead of stalling the partition
    commandTimeout: 15_000,
    enableAutoPipelining: false,
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  } satisfies RedisOptions;
  if (!env.REDIS_CLUSTER_NODES) {
    return quiet(
      new Redis(env.REDIS_URL, { ...options, retryStrategy: (times) => Math.min(200 * times, 5000) }),
    );
  }

  const url = new URL(env.REDIS_URL);
  const urlPassword = url.password ? decodeURIComponent(url.password) : undefined;
  return quiet(
    new Cluster(
      env.REDIS_CLUSTER_NODES.map((node) => {
        const [host, port] = node.split(':');
        return { host: host!, port: Number(port) };
      }),
      {
        redisOptions: {
          ...options,
          ...(options.password || !urlPassword ? {} : { password: urlPassword }),
          ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
        },
        // a failover takes a couple of seconds: keep finding the new master rather than failing the batch at once
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        retryDelayOnTryAgain: 200,
        clusterRetryStrategy: (times) => Math.min(200 * times, 5000),
        slotsRefreshTimeout: 2000,
        enableAutoPipelining: false,
      },
    ),
  );
}

/**
 * A connection error surfaces where it matters, as a failed command (typed by
 * the state layer); without a listener ioredis would also print each one, with
 * its stack, to stderr.
 */
function quiet<T extends RedisClient>(client: T): T {
  client.on('error', () => {});
  return client;
}

/** Whether the client is a Redis Cluster (reads across days then go per slot). */
export const isCluster = (redis: RedisClient): redis is Cluster => redis instanceof Cluster;
