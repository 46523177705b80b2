import { describe, expect, it } from 'vitest';
import { utmSourceOf } from '../../../src/aggregation/channel.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { decodeJson } from '../../../src/source/decode.ts';
import { EventValidator, TimestampSchema, timestampMs } from '../../../src/validation/event.ts';

const rules = parseMonitorConfig({}).ingest;
const validator = new EventValidator(rules);
const NOW = Date.parse('2025-03-01T12:00:00Z');
const base = {
  client_id: 'c1',
  page_url: 'https://puffy.com/',
  referrer: null,
  timestamp: '2025-03-01T10:00:00.000Z',
  event_name: 'page_viewed',
  event_data: null,
  user_agent: 'Mozilla/5.0',
};
const validate = (over: Record<string, unknown>, drop: string[] = []) => {
  const raw: Record<string, unknown> = { ...base, ...over };
  for (const k of drop) delete raw[k];
  return validator.validate(raw, NOW);
};
const kinds = (over: Record<string, unknown>, drop: string[] = []) => {
  const v = validate(over, drop);
  if (!v.ok) throw new Error(`rejected: ${v.reason}`);
  return v.event.problems.map((p) => `${p.kind}:${p.field}`);
};

describe('decoding plain JSON', () => {
  it.each([
    [Buffer.from('{"a":1}'), true, undefined],
    [Buffer.from('not json'), false, 'not_json'],
    [Buffer.from('{"a":'), false, 'not_json'],
    [Buffer.from('[1,2]'), false, 'not_object'],
    [Buffer.from('42'), false, 'not_object'],
    [Buffer.from('null'), false, 'not_object'],
    [Buffer.from([0xff, 0xfe, 0x7b]), false, 'not_utf8'],
  ])('%s', (buf, ok, reason) => {
    const d = decodeJson(buf);
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.reason).toBe(reason);
  });

  it('never quotes the payload in its error detail', () => {
    const d = decodeJson(Buffer.from('{"email": "someone@example.com", oops}'));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.detail).not.toContain('example.com');
  });
});

describe('event validation', () => {
  it('accepts a clean event with no problems', () => {
    expect(kinds({})).toEqual([]);
    const v = validate({});
    expect(v.ok && v.event.fieldSet).toBe(
      'client_id,event_data,event_name,page_url,referrer,timestamp,user_agent',
    );
  });

  it.each([
    [{ timestamp: undefined }, ['timestamp'], 'timestamp_missing'],
    [{ timestamp: null }, [], 'timestamp_missing'],
    [{ timestamp: '' }, [], 'timestamp_missing'],
    [{ timestamp: '2025-03-01 10:00:00' }, [], 'timestamp_invalid'],
    [{ timestamp: '2025-03-01T10:00:00' }, [], 'timestamp_invalid'], // no zone
    [{ timestamp: -1 }, [], 'timestamp_invalid'],
    [{ timestamp: 'yesterday' }, [], 'timestamp_invalid'],
  ])('rejects %j', (over, drop, reason) => {
    const v = validate(over, drop as string[]);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toBe(reason);
  });

  it.each([
    [1740823200000, '2025-03-01T10:00:00.000Z'],
    [1740823200, '2025-03-01T10:00:00.000Z'],
    [1740823200.5, '2025-03-01T10:00:00.500Z'],
  ])('reads the number %s as epoch milliseconds or seconds', (timestamp, iso) => {
    const v = validate({ timestamp });
    expect(v.ok && new Date(v.event.tsMs).toISOString()).toBe(iso);
  });

  it('accepts an offset timestamp', () => {
    const v = validate({ timestamp: '2025-03-01T11:00:00+01:00' });
    expect(v.ok && v.event.tsMs).toBe(Date.parse('2025-03-01T10:00:00Z'));
  });

  it('tallies a null or empty client id', () => {
    expect(kinds({ client_id: null })).toEqual(['client_id_null:client_id']);
    expect(kinds({ client_id: '' })).toEqual(['client_id_null:client_id']);
  });

  it('tells an absent field from a null one', () => {
    expect(kinds({}, ['referrer'])).toEqual(['field_missing:referrer']);
    expect(kinds({ referrer: null })).toEqual([]);
    const v = validate({}, ['referrer']);
    expect(v.ok && v.event.missingFields).toEqual(['referrer']);
  });

  it('accepts the clientId alias and records it', () => {
    const v = validate({ clientId: 'c9' }, ['client_id']);
    expect(v.ok && v.event.clientId).toBe('c9');
    expect(v.ok && v.event.aliasesUsed).toEqual(['clientId']);
    expect(v.ok && v.event.missingFields).toEqual([]);
    expect(kinds({ clientId: 'c9' }, ['client_id'])).toEqual(['alias_used:clientId']);
  });

  it('flags missing and unknown event names', () => {
    expect(kinds({ event_name: null })).toEqual(['event_name_missing:event_name']);
    expect(kinds({ event_name: 'hacked' })).toEqual(['event_name_unknown:event_name']);
  });

  it('flags event_data that is not JSON', () => {
    expect(kinds({ event_data: '{broken' })).toEqual(['event_data_invalid_json:event_data']);
    expect(kinds({ event_data: '[1]' })).toEqual(['event_data_invalid_json:event_data']);
    expect(kinds({ event_data: { a: 1 } })).toEqual([]);
  });

  it('reads a purchase from text or object event_data, in exact cents', () => {
    const text = validate({
      event_name: 'checkout_completed',
      event_data: '{"transaction_id":"T1","revenue":1449.99}',
    });
    expect(text.ok && text.event.purchase).toEqual({
      transactionId: 'T1',
      revenueCents: 144999,
      currency: null,
    });
    const obj = validate({
      event_name: 'checkout_completed',
      event_data: { transaction_id: 'T2', revenue: 0.1 },
    });
    expect(obj.ok && obj.event.purchase).toEqual({ transactionId: 'T2', revenueCents: 10, currency: null });
  });

  it.each([
    [
      { revenue: 10 },
      ['transaction_id_missing:transaction_id'],
      { transactionId: null, revenueCents: 1000, currency: null },
    ],
    [
      { transaction_id: 'T', revenue: null },
      ['revenue_missing:revenue'],
      { transactionId: 'T', revenueCents: 0, currency: null },
    ],
    [
      { transaction_id: 'T' },
      ['revenue_missing:revenue'],
      { transactionId: 'T', revenueCents: 0, currency: null },
    ],
    [
      { transaction_id: 'T', revenue: '12.50' },
      ['revenue_invalid:revenue'],
      { transactionId: 'T', revenueCents: 0, currency: null },
    ],
    [
      { transaction_id: 'T', revenue: -5 },
      ['revenue_negative:revenue'],
      { transactionId: 'T', revenueCents: 0, currency: null },
    ],
    [
      { transaction_id: 'T', revenue: 1e308 },
      ['revenue_invalid:revenue'],
      { transactionId: 'T', revenueCents: 0, currency: null },
    ],
    [
      { transaction_id: '', revenue: 1 },
      ['transaction_id_missing:transaction_id'],
      { transactionId: null, revenueCents: 100, currency: null },
    ],
  ])('purchase problems: %j', (data, problems, purchase) => {
    const v = validate({ event_name: 'checkout_completed', event_data: JSON.stringify(data) });
    expect(v.ok && v.event.problems.map((p) => `${p.kind}:${p.field}`)).toEqual(problems);
    expect(v.ok && v.event.purchase).toEqual(purchase);
  });

  it('does not count a checkout_completed with unparseable event_data as a purchase', () => {
    const v = validate({ event_name: 'checkout_completed', event_data: 'nope' });
    expect(v.ok && v.event.purchase).toBeNull();
  });

  it('flags timestamps beyond the allowed future skew', () => {
    expect(kinds({ timestamp: '2025-03-01T12:10:00Z' })).toEqual([]);
    expect(kinds({ timestamp: '2025-03-01T12:20:00Z' })).toEqual(['timestamp_future:timestamp']);
  });

  it('is not fooled by prototype keys', () => {
    const raw = JSON.parse(
      '{"__proto__":{"client_id":"evil"},"constructor":1,"timestamp":"2025-03-01T10:00:00Z"}',
    );
    const v = validator.validate(raw, NOW);
    expect(v.ok && v.event.clientId).toBeNull();
    expect(v.ok && v.event.missingFields).toContain('client_id');
    expect(({} as Record<string, unknown>).client_id).toBeUndefined();
  });
});

describe('sender text reaching the state', () => {
  const wellFormed = (s: string) => s.isWellFormed() && JSON.parse(JSON.stringify(s)) === s;
  const accepted = (over: Record<string, unknown>) => {
    const v = validate(over);
    if (!v.ok) throw new Error(`rejected: ${v.reason}`);
    return v.event;
  };

  it('leaves no lone surrogate in any string that reaches the state', () => {
    const e = accepted({
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
    const tx = accepted({
      event_name: 'checkout_completed',
      event_data: JSON.stringify({ transaction_id: 'T\ud83d', revenue: 10 }),
    });
    expect(wellFormed(tx.purchase!.transactionId!)).toBe(true);
  });

  it('bounds client ids', () => {
    expect(accepted({ client_id: 'c'.repeat(10_000) }).clientId).toHaveLength(256);
  });
});

describe('reading timestamps', () => {
  // what the schema and Date.parse say, which the trackers' own shape skips for speed
  const slow = (ts: string) => (TimestampSchema.safeParse(ts).success ? Date.parse(ts) : null);
  it.each([
    '2025-03-01T10:00:00.000Z',
    '2025-03-01T23:59:59.999Z',
    '2025-03-01T00:00:00Z',
    '2024-02-29T12:34:56.789Z', // a leap day
    '2025-02-29T12:34:56.789Z', // not one
    '2025-02-30T00:00:00.000Z',
    '2025-13-01T00:00:00.000Z',
    '2025-03-01T24:00:00.000Z',
    '2025-03-01T23:60:00.000Z',
    '2025-03-01T23:59:60.000Z',
    '2025-03-01T10:00:00.5Z', // one fractional digit
    '2025-03-01T10:00:00.123456Z',
    '2025-03-01T10:00:00.000+02:00',
    '2025-03-01T10:00:00.000z',
    '2025-03-01T10:00:00.000',
    '2025-03-01 10:00:00.000Z',
    '2025-03-01T1a:00:00.000Z',
    '2025-03-01T10-00:00.000Z',
    '２０２５-03-01T10:00:00.000Z',
    '0000-01-01T00:00:00.000Z',
  ])('%s: as the schema and Date.parse read it', (ts) => {
    expect(timestampMs(ts)).toBe(slow(ts));
  });
});
