/**
 * The state layer's pure parts: the script loader (includes, keys by name) and
 * the counter codec (the one place that names counters in Redis).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bump, emptyCounters } from '../../../src/aggregation/day-counters.ts';
import type { ClientVisits } from '../../../src/aggregation/day-delta.ts';
import { encodeClients, lengthBucketOf } from '../../../src/state/clients-codec.ts';
import { decodeCounters, encodeCounters } from '../../../src/state/counter-codec.ts';
import { APPLY_DAY_BATCH_KEYS, READ_DAY_KEYS, StateKeys } from '../../../src/state/keys.ts';
import { loadScript } from '../../../src/state/scripts.ts';

const LUA = join(import.meta.dirname, '../../../src/state/lua');
const flat = (record: Record<string, string>) => Object.entries(record).flat();

describe('script loader', () => {
  it('expands every include once and names the keys in the order keys.ts fixes', () => {
    const script = loadScript('apply-day-batch', APPLY_DAY_BATCH_KEYS);
    expect(script).not.toContain('@include');
    for (const part of readdirSync(join(LUA, 'includes'))) {
      const fn = /^local function \w+\(/m.exec(readFileSync(join(LUA, 'includes', part), 'utf8'))![0];
      expect(script.split(fn).length - 1, part).toBe(1);
    }
    expect(script.split('\n')[0]).toBe(
      'local K, NAMED_KEYS = {counters = KEYS[1], applied = KEYS[2], tx = KEYS[3], clients = KEYS[4], ' +
        'atc = KEYS[5], checkout = KEYS[6], purchase = KEYS[7], summary = KEYS[8], contract = KEYS[9], ' +
        'intraday = KEYS[10], legacyFirstTouch = KEYS[11], legacySessions = KEYS[12], eventIds = KEYS[13]}, 13',
    );
  });

  it('no script addresses a key by position, and every key a script uses is one it is given', () => {
    for (const [name, keys] of [
      ['apply-day-batch', APPLY_DAY_BATCH_KEYS],
      ['read-day', READ_DAY_KEYS],
    ] as const) {
      const body = loadScript(name).replace(/--\[\[[\s\S]*?\]\]/g, '');
      expect(body, name).not.toMatch(/KEYS\[\d+\]/);
      const used = new Set([...body.matchAll(/\bK\.(\w+)/g)].map((m) => m[1]));
      for (const k of used) expect(keys as readonly string[], `${name} uses K.${k}`).toContain(k);
    }
  });

  it('keeps a day in one hash slot: every key of a day shares its {namespace:day} tag', () => {
    const keys = new StateKeys('shop');
    const tags = keys.forScript(APPLY_DAY_BATCH_KEYS, '2025-03-01').map((k) => /\{[^}]+\}/.exec(k)?.[0]);
    expect(new Set(tags)).toEqual(new Set(['{shop:2025-03-01}']));
  });
});

describe('counter codec', () => {
  it('round-trips every counter through the hash fields Redis keeps', () => {
    const c = emptyCounters();
    c.events = 12;
    c.revenueCents = 123_456_789_012;
    c.sessionStragglers = 1;
    bump(c.eventNames, 'page_viewed', 10);
    bump(c.eventNames, 'odd:name', 2); // a colon in a sender's name stays in the name
    bump(c.problems, 'revenue_invalid:revenue');
    bump(c.channels, 'Organic Search', 3);
    bump(c.sessionLengths, 'inf');
    bump(c.eventNames, '__proto__');
    const fields = encodeCounters(c);
    expect(fields.revenue_cents).toBe('123456789012');
    expect(fields['event:odd:name']).toBe('2');
    expect(decodeCounters(flat(fields))).toEqual(c);
  });

  it('reads every counter name the Lua scripts write', () => {
    const lua = readdirSync(join(LUA, 'includes'))
      .map((f) => readFileSync(join(LUA, 'includes', f), 'utf8'))
      .concat(readFileSync(join(LUA, 'apply-day-batch.lua'), 'utf8'))
      .join('\n');
    const written = [...lua.matchAll(/(?:incrCounter\(counters|HINCRBY', counters), '([\w:]+)'/g)].map(
      (m) => m[1]!,
    );
    expect(written.length).toBeGreaterThan(8);
    for (const field of written) {
      const name = field.endsWith(':') ? `${field}x` : field; // a prefix: try one name under it
      expect(encodeCounters(decodeCounters([name, '1'])), field).toEqual({ [name]: '1' });
    }
  });

  it('ignores fields it does not know, and keeps zero counts out of the encoding', () => {
    const c = decodeCounters(['events', '3', 'something_else', '9', 'channel:Direct', '0']);
    expect(c.events).toBe(3);
    expect(encodeCounters(c)).toEqual({ events: '3' });
  });
});

describe('clients codec', () => {
  const MIN = 60_000;
  const t0 = Date.UTC(2025, 2, 1, 10, 0);
  const visits = (...minutes: [number, 0 | 1][]) => minutes.flatMap(([m, page]) => [t0 + m * MIN, page]);

  it('gives each client its value as if new to the day, and the counters what that adds', () => {
    const clients = new Map<string, ClientVisits>([
      // one session of two pages, 5 minutes
      ['a', { firstMs: t0, channel: 'Direct|odd', visits: visits([5, 1], [0, 1]) }],
      // three sessions: one page each; the value keeps the last two, all three go along
      ['b', { firstMs: t0, channel: 'Paid Search', visits: visits([0, 1], [40, 1], [100, 0]) }],
    ]);
    const base = Date.UTC(2025, 2, 1);
    const { flat, more, asNew } = encodeClients(clients, base, 30 * MIN);
    const at = (minutes: number) => t0 + minutes * MIN - base; // stored times count from the base
    expect(flat).toEqual([
      'a',
      // the first touch is the session's start: left empty
      `1||${at(0)}|${5 * MIN}|2|Direct|odd`,
      'b',
      // it is not the start of P (10:40): written out
      `2|${at(0)}|${at(100)}|0|0|${at(40)}|0|1|Paid Search`,
    ]);
    expect(more).toEqual({ b: [at(0), at(0), 1, at(40), at(40), 1, at(100), at(100), 0].join('|') });
    expect(asNew.sessions).toBe(4);
    expect(asNew.sessionMs).toBe(5 * MIN);
    expect(asNew.sessionPages).toBe(4);
    expect(asNew.sessionBounces).toBe(2);
    expect(Object.fromEntries(asNew.sessionLengths)).toEqual({ '0': 3, '300': 1 });
    expect(Object.fromEntries(asNew.channels)).toEqual({ 'Direct|odd': 1, 'Paid Search': 1 });
  });

  it('buckets a session length by the first upper bound it does not exceed', () => {
    expect(lengthBucketOf(0)).toBe('0');
    expect(lengthBucketOf(10_000)).toBe('10');
    expect(lengthBucketOf(10_001)).toBe('30');
    expect(lengthBucketOf(7_200_001)).toBe('inf');
  });
});
