import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { utmSourceOf } from '../../src/aggregation/channel.ts';
import { stateErrorOf } from '../../src/aggregation/day-state.ts';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import {
  DependencyUnavailableError,
  failureKind,
  isRetriable,
  StateRejectedError,
  systemOf,
} from '../../src/errors.ts';
import { EventValidator } from '../../src/validation/event.ts';
import { cutAtCodePoint, safeText } from '../../src/validation/safe-text.ts';

const wellFormed = (s: string) => s.isWellFormed() && JSON.parse(JSON.stringify(s)) === s;
const validator = new EventValidator(parseMonitorConfig({}).ingest);
const accept = (over: Record<string, unknown>) => {
  const v = validator.validate(
    {
      client_id: 'c1',
      page_url: 'https://puffy.com/',
      referrer: null,
      timestamp: '2025-03-01T10:00:00.000Z',
      event_name: 'page_viewed',
      event_data: null,
      user_agent: 'Mozilla/5.0',
      ...over,
    },
    Date.parse('2025-03-01T12:00:00Z'),
  );
  if (!v.ok) throw new Error(`rejected: ${v.reason}`);
  return v.event;
};

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

  it('leaves no lone surrogate in any string that reaches the state', () => {
    const e = accept({
      event_name: `${'e'.repeat(63)}😀`,
      client_id: '\ud800',
      page_url: `https://puffy.com/?utm_source=${'s'.repeat(39)}${encodeURIComponent('😀')}`,
      user_agent: 'x\udc00',
      [`${'f'.repeat(63)}😀`]: 1,
    });
    expect(e.eventName).toBe('e'.repeat(63));
    expect(e.clientId).toBe('\ufffd');
    for (const s of [e.eventName!, e.clientId!, e.userAgent!, e.fieldSet]) expect(wellFormed(s)).toBe(true);
    expect(wellFormed(utmSourceOf(e.pageUrl)!)).toBe(true);
    const tx = accept({
      event_name: 'checkout_completed',
      event_data: JSON.stringify({ transaction_id: 'T\ud83d', revenue: 10 }),
    });
    expect(wellFormed(tx.purchase!.transactionId!)).toBe(true);
  });

  it('bounds client ids', () => {
    expect(accept({ client_id: 'c'.repeat(10_000) }).clientId).toHaveLength(256);
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
