/**
 * Redis failures as typed errors: a refusal of this input (StateRejectedError,
 * not retriable) or Redis being unavailable (DependencyUnavailableError,
 * retriable), decided by the reply's error code, never by message text.
 */
import { ReplyError } from 'ioredis';
import { DependencyUnavailableError, StateRejectedError } from '../errors.ts';

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

/** Every promise settled; then the first failure, as a typed state error. */
export async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw stateErrorOf((failed as PromiseRejectedResult).reason);
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
