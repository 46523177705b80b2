/**
 * The tracking plan through the real broker: a crafted export with known
 * violations is consumed by the real CLI under a crafted plan. Each violation
 * is in the day's state and the close-out report with its exact count, first
 * and last seen, and samples that point at the offending messages; marked
 * events are counted, rejected ones are dead-lettered and not counted; and a
 * redelivery of every batch changes no count.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerGroupOf } from '../../src/source/kafka.ts';
import type { DaySnapshot } from '../../src/state/commands.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { kafka, produce, readTopic, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const T0 = Date.parse(`${DAY}T08:00:00.000Z`);
const HASH = 'a'.repeat(64);
const SECRET = 'someone@example.com';

const PLAN = `
version: crafted-1
unplannedEvents: reject
events:
  page_viewed:
    schema: { type: object, required: [client_id, timestamp, event_name] }
  checkout_completed:
    action: mark
    schema:
      type: object
      required: [client_id, event_data]
      properties:
        event_data:
          type: object
          additionalProperties: false
          required: [transaction_id, revenue]
          properties:
            transaction_id: { type: string, minLength: 1 }
            revenue: { type: number, minimum: 0 }
            user_email: { type: string, pattern: '^[0-9a-f]{64}$' }
            items:
              type: array
              items:
                type: object
                properties:
                  item_id: { type: string }
                  quantity: { type: integer, minimum: 1 }
`;

type Triple = `${string} ${string} ${string}`;
interface Crafted {
  name: string;
  data?: Record<string, unknown>;
  /** The violations the plan must find: "event path rule". */
  breaks: Triple[];
}

const purchase = (i: number, over: Record<string, unknown> = {}, drop?: string): Crafted => {
  const data: Record<string, unknown> = {
    transaction_id: `T-${i}`,
    revenue: 100 + i,
    user_email: HASH,
    items: [{ item_id: 'mattress', quantity: 1 }],
    ...over,
  };
  if (drop) delete data[drop];
  return { name: 'checkout_completed', data, breaks: [] };
};
const breaking = (c: Crafted, ...breaks: Triple[]): Crafted => ({ ...c, breaks });

// offsets are positions in this list: one partition, one producer, in order
const CORPUS: Crafted[] = [
  { name: 'page_viewed', breaks: [] },
  purchase(1),
  breaking(
    purchase(2, { items: [{ quantity: '1' }, { quantity: '2' }] }),
    'checkout_completed /event_data/items/*/quantity type',
  ),
  breaking(purchase(3, { user_email: SECRET }), 'checkout_completed /event_data/user_email pattern'),
  { name: 'coupon_applied', breaks: ['coupon_applied /event_name unplanned_event'] },
  breaking(purchase(4, {}, 'transaction_id'), 'checkout_completed /event_data/transaction_id required'),
  { name: 'page_viewed', breaks: [] },
  breaking(purchase(5, { coupon: 'SPRING' }), 'checkout_completed /event_data/coupon additionalProperties'),
  breaking(
    purchase(6, { items: [{ quantity: '3' }] }),
    'checkout_completed /event_data/items/*/quantity type',
  ),
  { name: 'coupon_applied', breaks: ['coupon_applied /event_name unplanned_event'] },
  breaking(purchase(7, { user_email: SECRET }), 'checkout_completed /event_data/user_email pattern'),
  breaking(
    purchase(8, { items: [{ quantity: 'x' }], coupon: 'X' }),
    'checkout_completed /event_data/items/*/quantity type',
    'checkout_completed /event_data/coupon additionalProperties',
  ),
  { name: 'page_viewed', breaks: [] },
  breaking(
    purchase(9, { items: [{ quantity: '1' }] }),
    'checkout_completed /event_data/items/*/quantity type',
  ),
  { name: 'coupon_applied', breaks: ['coupon_applied /event_name unplanned_event'] },
  breaking(
    purchase(10, { items: [{ quantity: '1' }] }),
    'checkout_completed /event_data/items/*/quantity type',
  ),
  breaking(
    purchase(11, { items: [{ quantity: '1' }] }),
    'checkout_completed /event_data/items/*/quantity type',
  ),
  purchase(12),
];
const REJECTED = CORPUS.filter((c) => c.name === 'coupon_applied').length;
const tsOf = (offset: number) => T0 + offset * 60_000;

const messages: Message[] = CORPUS.map((c, offset) => ({
  key: `client-${offset}`,
  value: JSON.stringify({
    client_id: `client-${offset}`,
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: new Date(tsOf(offset)).toISOString(),
    event_name: c.name,
    event_data: c.data ? JSON.stringify(c.data) : null,
    user_agent: 'Mozilla/5.0',
  }),
  timestamp: String(tsOf(offset)),
}));

/** What the plan must report, computed from the corpus: per triple, count, first/last seen and the first five offsets. */
function expectedViolations(topic: string) {
  const byTriple = new Map<string, { count: number; first: number; last: number; offsets: number[] }>();
  CORPUS.forEach((c, offset) => {
    for (const t of c.breaks) {
      const e = byTriple.get(t) ?? { count: 0, first: tsOf(offset), last: tsOf(offset), offsets: [] };
      e.count++;
      e.last = tsOf(offset);
      if (e.offsets.length < 5) e.offsets.push(offset);
      byTriple.set(t, e);
    }
  });
  return [...byTriple]
    .map(([triple, e]) => {
      const [eventName, path, rule] = triple.split(' ') as [string, string, string];
      return {
        eventName,
        path,
        rule,
        count: e.count,
        firstSeenMs: e.first,
        lastSeenMs: e.last,
        samples: e.offsets.map((o) => ({ topic, partition: 0, offset: String(o) })),
      };
    })
    .sort((a, b) => b.count - a.count || `${a.eventName}${a.path}`.localeCompare(`${b.eventName}${b.path}`));
}

const dir = mkdtempSync(join(tmpdir(), 'em-plan-'));
const planFile = join(dir, 'plan.yml');
let space: TestSpace;
let env: Record<string, string>;
let first: DaySnapshot;

async function snapshot(): Promise<DaySnapshot> {
  const r = redis();
  try {
    return await new MonitorState(r, space.namespace).days.read(DAY);
  } finally {
    r.disconnect();
  }
}

beforeAll(async () => {
  writeFileSync(planFile, PLAN);
  space = await testSpace(import.meta.filename, { partitions: 1 });
  env = { ...space.env, TRACKING_PLAN_FILE: planFile };
  await produce(space.topic, messages);
  const run = await runCli(['consume', '--exit-when-idle', '1'], env);
  expect(run.code, run.output).toBe(0);
  first = await snapshot();
}, 120_000);
afterAll(async () => space.cleanup());

describe('tracking plan, through the real broker', () => {
  it('records each violation with its exact count, first and last seen, and samples at the offending offsets', () => {
    const sorted = [...first.violations].sort(
      (a, b) => b.count - a.count || `${a.eventName}${a.path}`.localeCompare(`${b.eventName}${b.path}`),
    );
    expect(sorted).toEqual(expectedViolations(space.topic));
  });

  it('counts marked events and leaves rejected ones out of the figures', () => {
    expect(first.counters.events).toBe(CORPUS.length - REJECTED);
    expect(first.counters.purchases).toBe(CORPUS.filter((c) => c.name === 'checkout_completed').length);
    expect(first.counters.eventNames.get('coupon_applied')).toBeUndefined();
    expect(first.counters.rejected.get('contract_violation')).toBe(REJECTED);
    expect(first.counters.planRejected.get('coupon_applied')).toBe(REJECTED);
  });

  it('dead-letters rejected events with their reason, and headers naming event, path and rule, never a value', async () => {
    const dead = await readTopic(space.dlq, REJECTED);
    expect(dead).toHaveLength(REJECTED);
    const offsets = CORPUS.flatMap((c, i) => (c.name === 'coupon_applied' ? [String(i)] : []));
    expect(dead.map((d) => d.headers['x-em-source-offset']).sort()).toEqual(offsets.sort());
    for (const d of dead) {
      expect(d.headers['x-em-reject-reason']).toBe('contract_violation');
      expect(d.headers['x-em-contract-event']).toBe('coupon_applied');
      expect(d.headers['x-em-contract-path']).toBe('/event_name');
      expect(d.headers['x-em-contract-rule']).toBe('unplanned_event');
      expect(JSON.parse(d.headers['x-em-contract-violations']!)).toEqual([
        ['/event_name', 'unplanned_event'],
      ]);
    }
  });

  it('puts the violations in the close-out report, and alerts on a required property missing on too many events', async () => {
    const json = join(dir, 'report.json');
    const text = join(dir, 'report.txt');
    const run = await runCli(
      ['closeout', '--date', DAY, '--json', json, '--text', text, '--fail-on', 'never'],
      env,
    );
    expect(run.code, run.output).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.contract.plan_version).toBe('crafted-1');
    const purchases = CORPUS.filter((c) => c.name === 'checkout_completed').length;
    const expected = expectedViolations(space.topic).map((v) => ({
      event_name: v.eventName,
      path: v.path,
      rule: v.rule,
      count: v.count,
      events_of_type: v.eventName === 'coupon_applied' ? REJECTED : purchases,
      first_seen: new Date(v.firstSeenMs).toISOString(),
      last_seen: new Date(v.lastSeenMs).toISOString(),
      samples: v.samples,
      new: false,
    }));
    const got = report.contract.violations.map(({ share: _, ...v }: { share: number }) => v);
    expect(new Set(got.map((v: unknown) => JSON.stringify(v)))).toEqual(
      new Set(expected.map((v) => JSON.stringify(v))),
    );
    const required = report.alerts.find((a: { check: string }) => a.check === 'contract_required_missing');
    expect(required?.severity).toBe('CRITICAL');
    // 1 of 12 purchases lacks transaction_id (above 5%); every coupon_applied is unplanned
    expect(required?.value).toBe(
      'coupon_applied /event_name unplanned_event, checkout_completed /event_data/transaction_id required',
    );
    const textReport = readFileSync(text, 'utf8');
    expect(textReport).toContain('TRACKING PLAN (crafted-1):');
    expect(textReport).toMatch(/checkout_completed\s+\/event_data\/items\/\*\/quantity\s+type\s+6/);
    for (const out of [textReport, readFileSync(json, 'utf8'), run.output]) expect(out).not.toContain(SECRET);
  });

  it('changes no count when every batch is delivered again', async () => {
    const admin = kafka().admin();
    await admin.connect();
    await admin.resetOffsets({
      groupId: consumerGroupOf(space.namespace),
      topic: space.topic,
      earliest: true,
    });
    await admin.disconnect();
    const run = await runCli(['consume', '--exit-when-idle', '1'], env);
    expect(run.code, run.output).toBe(0);
    const again = await snapshot();
    expect(again.violations).toEqual(first.violations);
    expect(again.counters).toEqual(first.counters);
  });
});
