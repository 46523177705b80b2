/**
 * ioredis client from REDIS_URL (redis:// or rediss:// for TLS; a password in
 * the URL or in REDIS_PASSWORD_FILE). Commands fail fast while Redis is down so
 * the consumer can back off and retry whole batches; the connection itself
 * keeps reconnecting forever.
 */
import { Redis } from 'ioredis';
import { type Env, readSecret } from '../config/env.ts';

export function createRedis(
  env: Pick<Env, 'REDIS_URL' | 'REDIS_PASSWORD_FILE'>,
  name = 'event-monitor',
): Redis {
  const password = readSecret(undefined, env.REDIS_PASSWORD_FILE);
  return new Redis(env.REDIS_URL, {
    connectionName: name,
    ...(password ? { password } : {}),
    maxRetriesPerRequest: 1,
    // a command that never answers must fail, so the batch is retried instead of stalling the partition
    commandTimeout: 15_000,
    enableAutoPipelining: false,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });
}
