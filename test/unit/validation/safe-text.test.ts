import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  failureKind,
  isRetriable,
  StateRejectedError,
  systemOf,
} from '../../../src/errors.ts';
import { stateErrorOf } from '../../../src/state/redis-errors.ts';
import { cutAtCodePoint, safeText } from '../../../src/validation/safe-text.ts';

describe('sender text made safe for the state', () => {
  it('cuts on a code-point boundary, never inside a surrogate pair', () => {
    const name = `${'a'.repeat(63)}😀`;
    expect(cutAtCodePoint(name, 64)).toBe('a'.repeat(63));
    expect(cutAtCodePoint(name, 65)).toBe(name);
    expect(cutAtCodePoint('short', 64)).toBe('short');
  });

  it('replaces lone surrogates and control characters, keeps everything else', () => {
    expect(safeText('\ud800', 10)).toBe('\ufffd');
    expect(safeText('a\udfffb', 10)).toBe('a\ufffdb');
    expect(safeText('a\u0000b\u0007c\u009f', 10)).toBe('a\ufffdb\ufffdc\ufffd');
    expect(safeText('ünï 𝔘 😀', 20)).toBe('ünï 𝔘 😀');
  });
});

describe('typed failures', () => {
  it('tells a refusal of the input from Redis being unavailable, by Redis error code', () => {
    const refused = stateErrorOf(
      new ReplyError('ERR user_script:9: Expected value but found invalid unicode escape'),
    );
    expect(refused).toBeInstanceOf(StateRejectedError);
    expect(isRetriable(refused)).toBe(false);
    expect(systemOf(refused)).toBe('message');
    expect(failureKind(refused)).toBe('StateRejectedError:ERR');
    // no payload text in what is logged or dead-lettered
    expect(refused.message).not.toContain('unicode');

    for (const code of ['LOADING', 'BUSY', 'READONLY', 'CLUSTERDOWN', 'OOM']) {
      const e = stateErrorOf(new ReplyError(`${code} something`));
      expect(e).toBeInstanceOf(DependencyUnavailableError);
      expect(isRetriable(e)).toBe(true);
      expect(systemOf(e)).toBe('redis');
    }
    const closed = stateErrorOf(new Error('Connection is closed.'));
    expect(systemOf(closed)).toBe('redis');
    expect(isRetriable(closed)).toBe(true);
  });

  it('counts what is not ours to type as "other", and never retries it blindly', () => {
    expect(systemOf(new TypeError('x'))).toBe('other');
    expect(isRetriable(new TypeError('x'))).toBe(false);
  });
});
