/**
 * `dlq replay` through the real broker: events a strict plan rejected are put
 * back once the plan is relaxed and land in their day; poison of the other
 * reasons is rejected again with its reason; a second replay, and a replay
 * killed with SIGKILL halfway and run again, change no count; accepted plus
 * still rejected equals what was produced, at every step.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DayCounters, recordOf } from '../../src/aggregation/day-counters.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { eventually, runCli, startMonitor } from '../helpers/monitor-process.ts';
import { produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const TS = Date.parse(`${DAY}T10:00:00.000Z`);
const HASH = 'b'.repeat(64);

const event = (i: number, name: string, data: Record<string, unknown> | null): Message => ({
  key: `c-${i}`,
  value: JSON.stringify({
    client_id: `c-${i}`,
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: new Date(TS + i * 1000).toISOString(),
    event_name: name,
    event_data: data === null ? null : JSON.stringify(data),
    user_agent: 'Mozilla/5.0',
  }),
  timestamp: String(TS + i * 1000),
});
const poison = (i: number, value: string | null): Message => ({
  key: `p-${i}`,
  value,
  timestamp: String(TS),
});

const GOOD = 750;
const COUPONS = 1500; // purchases carrying a property the strict plan forbids
const UNPLANNED = 30;
// good events between the rejected ones: a stream of nothing but rejections would (rightly) be held by the reject guard
const corpus: Message[] = [
  ...Array.from({ length: COUPONS }, (_, i) => [
    event(1000 + i, 'checkout_completed', {
      transaction_id: `T-${i}`,
      revenue: 10,
      user_email: HASH,
      coupon: 'X',
    }),
    ...(i % 2 === 0 ? [event(i / 2, 'page_viewed', null)] : []),
  ]).flat(),
  ...Array.from({ length: UNPLANNED }, (_, i) => event(5000 + i, 'coupon_applied', null)),
  poison(1, 'not json'),
  poison(2, ''),
  poison(3, '[1,2]'),
  poison(4, JSON.stringify({ client_id: 'x', event_name: 'page_viewed' })),
];
const POISON = { not_json: 1, empty: 1, not_object: 1, timestamp_missing: 1 };
const POISON_TOTAL = Object.values(POISON).reduce((a, b) => a + b, 0);

const purchase = (extra: string) => `
  checkout_completed:
    action: reject
    schema:
      type: object
      properties:
        event_data:
          type: object
          additionalProperties: false
          properties: { transaction_id: { type: string }, revenue: { type: number }, user_email: { type: string }${extra} }
`;
const STRICT = `version: strict\nunplannedEvents: reject\nevents:\n  page_viewed:\n    schema: { type: object }\n${purchase('')}`;
const RELAXED = `version: relaxed\nunplannedEvents: reject\nevents:\n  page_viewed:\n    schema: { type: object }\n  coupon_applied:\n    schema: { type: object }\n${purchase(', coupon: { type: string }')}`;

const dir = mkdtempSync(join(tmpdir(), 'em-dlq-replay-'));
let space: TestSpace;
let strictEnv: Record<string, string>;
let relaxedEnv: Record<string, string>;

async function counters(): Promise<DayCounters> {
  const r = redis();
  try {
    return (await new MonitorState(r, space.namespace).days.read(DAY)).counters;
  } finally {
    r.disconnect();
  }
}
const rejectedTotal = (c: DayCounters) => [...c.rejected.values()].reduce((a, b) => a + b, 0);
/** Every message produced is in the day exactly once: accepted or still rejected. */
const expectBalanced = (c: DayCounters) => expect(c.events + rejectedTotal(c)).toBe(corpus.length);

async function replay(env: Record<string, string>, args: string[] = []) {
  const json = join(dir, `replay-${Date.now()}.json`);
  const run = await runCli(['dlq', 'replay', ...args, '--json', json], env);
  expect(run.code, run.output).toBe(0);
  return JSON.parse(readFileSync(json, 'utf8'));
}

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 2 });
  writeFileSync(join(dir, 'strict.yml'), STRICT);
  writeFileSync(join(dir, 'relaxed.yml'), RELAXED);
  strictEnv = { ...space.env, TRACKING_PLAN_FILE: join(dir, 'strict.yml') };
  relaxedEnv = { ...space.env, TRACKING_PLAN_FILE: join(dir, 'relaxed.yml') };
  await produce(space.topic, corpus);
  const run = await runCli(['consume', '--exit-when-idle', '1'], strictEnv);
  expect(run.code, run.output).toBe(0);
}, 180_000);
afterAll(async () => space.cleanup());

describe('dlq replay', () => {
  it('starts from a strict plan: the coupons and unplanned events rejected, the rest accepted', async () => {
    const c = await counters();
    expect(c.events).toBe(GOOD);
    expect(recordOf(c.rejected)).toEqual({ ...POISON, contract_violation: COUPONS + UNPLANNED });
    expectBalanced(c);
  });

  it('a dry run says what would happen and writes nothing', async () => {
    const r = await replay(relaxedEnv, ['--dry-run']);
    expect(r).toMatchObject({
      selected: COUPONS + UNPLANNED + POISON_TOTAL,
      accepted: COUPONS + UNPLANNED,
      rejected: POISON,
      dry_run: true,
    });
    expect((await counters()).events).toBe(GOOD);
  });

  it('a replay killed halfway, run again, brings each rejected event into its day once', async () => {
    const p = startMonitor(['dlq', 'replay', '--reason', 'contract_violation'], relaxedEnv);
    // stopped once some, not all, are back: 1,530 dead letters take seconds to replay one by one
    const midway = await eventually(counters, (c) => c.events > GOOD, 60_000);
    p.kill('SIGKILL');
    await p.exited;
    expect(midway.events).toBeLessThan(GOOD + COUPONS + UNPLANNED);

    const r = await replay(relaxedEnv, ['--reason', 'contract_violation']);
    expect(r.selected).toBe(COUPONS + UNPLANNED);
    expect(r.accepted + r.already_replayed).toBe(COUPONS + UNPLANNED);
    expect(r.already_replayed).toBeGreaterThan(0);
    expect(r.days).toEqual([DAY]);
    const c = await counters();
    expect(c.events).toBe(GOOD + COUPONS + UNPLANNED);
    expect(c.purchases).toBe(COUPONS);
    expect(c.eventNames.get('coupon_applied')).toBe(UNPLANNED);
    expect(recordOf(c.rejected)).toEqual(POISON);
    expect(recordOf(c.planRejected)).toEqual({});
    expectBalanced(c);
  });

  it('a second replay changes nothing', async () => {
    const before = await counters();
    const r = await replay(relaxedEnv, ['--reason', 'contract_violation']);
    expect(r).toMatchObject({ accepted: 0, already_replayed: COUPONS + UNPLANNED, rejected: {} });
    expect(await counters()).toEqual(before);
  });

  it('what still fails is rejected again with its reason, and counted once', async () => {
    const r = await replay(relaxedEnv, ['--reason', 'not_json', 'empty', 'not_object', 'timestamp_missing']);
    expect(r).toMatchObject({ selected: POISON_TOTAL, accepted: 0, rejected: POISON });
    const c = await counters();
    expect(recordOf(c.rejected)).toEqual(POISON);
    expectBalanced(c);
    // replaying everything now: the poison's new dead letters name the same source messages
    const all = await replay(relaxedEnv);
    expect(all.accepted).toBe(0);
    expect(all.already_replayed).toBe(all.selected - all.skipped);
    expect(await counters()).toEqual(c);
  });
});
