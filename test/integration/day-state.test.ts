/**
 * The per-day Lua state on real Redis, one server and the local Redis
 * Cluster alike: first touch by earliest timestamp whatever the consumption
 * order, deduplicated revenue at the earliest occurrence, the optional
 * duplicate look-back (days in different slots on the cluster), late events,
 * reads across days, and writes confirmed on replicas (WAIT).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayDelta } from '../../src/aggregation/day-delta.ts';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { isRetriable } from '../../src/errors.ts';
import { DEFAULT_DAY_STATE_OPTIONS } from '../../src/state/day-state.ts';
import { StateKeys } from '../../src/state/keys.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import type { RedisClient } from '../../src/state/redis.ts';
import { ReplicasBehindError } from '../../src/state/replicas.ts';
import { EventValidator } from '../../src/validation/event.ts';
import { clusterRedis, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const config = parseMonitorConfig({});
const validator = new EventValidator(config.ingest);
let space: TestSpace;
let offset = 0;

const event = (client: string, ts: string, over: Record<string, unknown> = {}) => {
  const v = validator.validate(
    {
      client_id: client,
      page_url: 'https://puffy.com/',
      referrer: null,
      timestamp: ts,
      event_name: 'page_viewed',
      event_data: null,
      // a browser's: bots stay out of first touch and the funnel
      user_agent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      ...over,
    },
    Date.parse('2030-01-01T00:00:00Z'),
  );
  if (!v.ok) throw new Error(v.reason);
  return v.event;
};
const purchase = (client: string, ts: string, tx: string, revenue: number) =>
  event(client, ts, {
    event_name: 'checkout_completed',
    event_data: JSON.stringify({ transaction_id: tx, revenue }),
  });

/** Last offset applied per namespace and day, as the batch processor tracks it. */
const watermarks = new Map<string, number>();

async function apply(
  state: MonitorState,
  day: string,
  events: ReturnType<typeof event>[],
  channels = config.channels,
) {
  const delta = new DayDelta(day, { channels });
  for (const e of events) delta.addAccepted(e, null);
  offset += events.length;
  const key = `${state.namespace}|${day}`;
  const [result] = await state.days.applyMany([
    { delta, partitionKey: 'p/0', lastOffset: offset, expectedWatermark: watermarks.get(key) ?? -1 },
  ]);
  expect(result?.status).toBe('applied');
  watermarks.set(key, offset);
}

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { createTopic: false });
});
afterAll(async () => {
  await space.cleanup();
});

describe.each([
  { target: 'one Redis', connect: (): RedisClient => redis() },
  { target: 'Redis Cluster', connect: (): RedisClient => clusterRedis() },
])('per-day state on $target', ({ connect }) => {
  let r: RedisClient;
  beforeAll(() => {
    r = connect();
    watermarks.clear(); // the same namespaces again, on another store
  });
  afterAll(() => r.disconnect());

  it('first touch is the earliest event by timestamp, even when it is consumed later', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-ft`);
    await apply(state, '2025-03-01', [
      event('c1', '2025-03-01T12:00:00Z', { page_url: 'https://puffy.com/?gclid=x' }),
    ]);
    let c = (await state.days.read('2025-03-01')).counters;
    expect(c.channels.get('Paid Search')).toBe(1);
    // an earlier event of the same client arrives late: its channel replaces the first one
    await apply(state, '2025-03-01', [
      event('c1', '2025-03-01T08:00:00Z', { referrer: 'https://www.bing.com/' }),
    ]);
    c = (await state.days.read('2025-03-01')).counters;
    expect(c.channels.get('Paid Search')).toBe(0);
    expect(c.channels.get('Organic Search')).toBe(1);
    await state.deleteNamespace();
  });

  it('keeps a day whose events precede its UTC midnight (a zone east of UTC) exactly', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-east`);
    // 2025-03-02 in Asia/Kolkata starts at 2025-03-01T18:30Z: these times are before the day's base
    await apply(state, '2025-03-02', [
      event('c9', '2025-03-01T20:10:00Z', { page_url: 'https://puffy.com/?gclid=x' }),
    ]);
    await apply(state, '2025-03-02', [
      event('c9', '2025-03-01T20:00:00Z', { referrer: 'https://www.bing.com/' }),
      event('c9', '2025-03-01T20:20:00Z'),
    ]);
    const s = await state.days.read('2025-03-02');
    expect(s.clients).toBe(1);
    expect(s.counters.channels.get('Organic Search')).toBe(1);
    expect(s.counters.channels.get('Paid Search')).toBe(0);
    expect(s.counters.sessions).toBe(1);
    expect(s.counters.sessionMs).toBe(20 * 60_000);
    expect(s.counters.sessionPages).toBe(3);
    await state.deleteNamespace();
  });

  it('keeps a channel name that looks like the stored fields (pipes, digits) whole through merges', async () => {
    offset = 0;
    const odd = parseMonitorConfig({
      channels: { clickIds: [{ param: 'gclid', channel: 'Paid|1|2' }] },
    }).channels;
    const state = new MonitorState(r, `${space.namespace}-pipes`);
    const day = '2025-03-01';
    await apply(
      state,
      day,
      [event('c1', `${day}T12:00:00Z`, { page_url: 'https://puffy.com/?gclid=x' })],
      odd,
    );
    await apply(state, day, [event('c1', `${day}T12:10:00Z`)], odd); // merged: the stored channel read back
    let c = (await state.days.read(day)).counters;
    expect(Object.fromEntries([...c.channels].filter(([, n]) => n !== 0))).toEqual({ 'Paid|1|2': 1 });
    expect(c.sessions).toBe(1);
    // an earlier event moves the first touch: the stored channel is the one taken back
    await apply(state, day, [event('c1', `${day}T11:00:00Z`, { referrer: 'https://www.bing.com/' })], odd);
    c = (await state.days.read(day)).counters;
    expect(Object.fromEntries([...c.channels].filter(([, n]) => n !== 0))).toEqual({ 'Organic Search': 1 });
    expect(c.sessions).toBe(1);
    expect(c.sessionMs).toBe(10 * 60_000);
    expect(c.sessionStragglers).toBe(1); // 11:00 came after the 12:00 session, more than a gap before it
    await state.deleteNamespace();
  });

  it('deduplicated revenue takes each transaction at its earliest occurrence', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-tx`);
    await apply(state, '2025-03-01', [purchase('a', '2025-03-01T12:00:00Z', 'T1', 100)]);
    await apply(state, '2025-03-01', [purchase('b', '2025-03-01T09:00:00Z', 'T1', 40)]);
    const c = (await state.days.read('2025-03-01')).counters;
    expect(c.duplicateTransactions).toBe(1);
    expect(c.revenueCents).toBe(14_000);
    expect(c.revenueDedupCents).toBe(4_000);
    await state.deleteNamespace();
  });

  it('counts a transaction seen on earlier days as a duplicate only with the look-back on', async () => {
    offset = 0;
    const off = new MonitorState(r, `${space.namespace}-lb0`, {
      ...DEFAULT_DAY_STATE_OPTIONS,
      duplicateLookbackDays: 0,
    });
    await apply(off, '2025-03-01', [purchase('a', '2025-03-01T12:00:00Z', 'T9', 10)]);
    await apply(off, '2025-03-02', [purchase('a', '2025-03-02T12:00:00Z', 'T9', 10)]);
    expect((await off.days.read('2025-03-02')).counters.duplicateTransactions).toBe(0);
    await off.deleteNamespace();

    offset = 0;
    const on = new MonitorState(r, `${space.namespace}-lb1`, {
      ...DEFAULT_DAY_STATE_OPTIONS,
      duplicateLookbackDays: 1,
    });
    await apply(on, '2025-03-01', [purchase('a', '2025-03-01T12:00:00Z', 'T9', 10)]);
    await apply(on, '2025-03-02', [purchase('a', '2025-03-02T12:00:00Z', 'T9', 10)]);
    const c = (await on.days.read('2025-03-02')).counters;
    expect(c.duplicateTransactions).toBe(1);
    expect(c.revenueDedupCents).toBe(0);
    await on.deleteNamespace();
  });

  it('counts events applied after the close-out as late', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-late`);
    await apply(state, '2025-03-01', [event('a', '2025-03-01T12:00:00Z')]);
    await state.archive.saveSummary('2025-03-01', { closed: true });
    await apply(state, '2025-03-01', [
      event('b', '2025-03-01T13:00:00Z'),
      event('c', '2025-03-01T14:00:00Z'),
    ]);
    const s = await state.days.read('2025-03-01');
    expect(s.closed).toBe(true);
    expect(s.counters.events).toBe(3);
    expect(s.counters.lateEvents).toBe(2);
    await state.deleteNamespace();
  });

  it('keeps intraday slots per day, read back across days: counts per type and slot, null clients, first and last event per slot', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-slots`);
    await apply(state, '2025-03-01', [
      event('a', '2025-03-01T12:01:00Z'),
      event('b', '2025-03-01T12:09:59Z'),
      event('', '2025-03-01T12:10:00Z'),
    ]);
    await apply(state, '2025-03-02', [purchase('a', '2025-03-02T00:00:00Z', 'T1', 5)]);
    const slots = await state.days.readIntraday(['2025-03-01', '2025-03-02', '2025-03-03']);
    const first = slots.get('2025-03-01')!;
    expect(first.byType.get('page_viewed')!.slice(72, 74)).toEqual([2, 1]); // 12:00–12:10, 12:10–12:20
    expect(first.nullClients[73]).toBe(1);
    expect(first.totals.reduce((a, b) => a + b, 0)).toBe(3);
    expect(first.spans.get('page_viewed')!.get(72)).toEqual({
      first: Date.parse('2025-03-01T12:01:00Z'),
      last: Date.parse('2025-03-01T12:09:59Z'),
    });
    expect(first.spans.get('page_viewed')!.get(73)).toEqual({
      first: Date.parse('2025-03-01T12:10:00Z'),
      last: Date.parse('2025-03-01T12:10:00Z'),
    });
    // a later batch moves a slot's first back and leaves a later last where it was
    await apply(state, '2025-03-01', [
      event('c', '2025-03-01T12:00:30Z'),
      event('d', '2025-03-01T12:05:00Z'),
    ]);
    const again = (await state.days.readIntraday(['2025-03-01'])).get('2025-03-01')!;
    expect(again.spans.get('page_viewed')!.get(72)).toEqual({
      first: Date.parse('2025-03-01T12:00:30Z'),
      last: Date.parse('2025-03-01T12:09:59Z'),
    });
    expect(again.byType.get('page_viewed')![72]).toBe(4);
    expect(slots.get('2025-03-02')!.byType.get('checkout_completed')![0]).toBe(1);
    expect(slots.get('2025-03-03')!.byType.size).toBe(0);
    await state.deleteNamespace();
  });

  it('moves a day kept in the earlier two-hash layout into the clients hash, its counts going on as if never moved', async () => {
    const day = '2025-03-01';
    const first = [
      event('c1', `${day}T12:00:00Z`, { page_url: 'https://puffy.com/?gclid=x' }),
      event('c1', `${day}T12:05:00Z`),
      event('c1', `${day}T14:00:00Z`),
      event('c2', `${day}T10:00:00Z`),
    ];
    const second = [
      event('c1', `${day}T08:00:00Z`, { referrer: 'https://www.bing.com/' }), // earlier: the first touch moves
      event('c1', `${day}T12:20:00Z`), // joins the 12:00 session (P)
      event('c2', `${day}T10:10:00Z`),
      event('c3', `${day}T11:00:00Z`),
    ];
    const control = new MonitorState(r, `${space.namespace}-layout-now`);
    const legacy = new MonitorState(r, `${space.namespace}-layout-old`);
    for (const state of [control, legacy]) {
      offset = 0;
      await apply(state, day, first);
    }
    // what an earlier version kept for the same events instead of the clients hash: first touches
    // "ts|channel" and sessions "S|P" (start|last|pages each), in ms since the epoch
    const keys = new StateKeys(legacy.namespace);
    const ms = (time: string) => Date.parse(`${day}T${time}:00Z`);
    await r.del(keys.dayKey(day, 'clients'));
    await r.hset(keys.dayKey(day, 'legacyFirstTouch'), {
      c1: `${ms('12:00')}|Paid Search`,
      c2: `${ms('10:00')}|Direct`,
    });
    await r.hset(keys.dayKey(day, 'legacySessions'), {
      c1: `${ms('14:00')}|${ms('14:00')}|1|${ms('12:00')}|${ms('12:05')}|2`,
      c2: `${ms('10:00')}|${ms('10:00')}|1`,
    });
    expect((await legacy.days.read(day)).clients).toBe(2); // counted from the earlier layout

    offset = first.length;
    await apply(control, day, second);
    offset = first.length;
    await apply(legacy, day, second);
    const [a, b] = [await control.days.read(day), await legacy.days.read(day)];
    expect(b.clients).toBe(3);
    expect(b.counters).toEqual(a.counters);
    expect(b.counters.channels.get('Organic Search')).toBe(1);
    expect(b.counters.channels.get('Paid Search')).toBe(0);
    // c1: 12:00–12:20 and 14:00 (08:00 came after two newer sessions: a straggler); c2: 10:00–10:10; c3: 11:00
    expect(b.counters.sessions).toBe(4);
    expect(b.counters.sessionStragglers).toBe(1);
    expect(await r.hgetall(keys.dayKey(day, 'clients'))).toEqual(
      await r.hgetall(new StateKeys(control.namespace).dayKey(day, 'clients')),
    );
    expect(await r.exists(keys.dayKey(day, 'legacyFirstTouch'), keys.dayKey(day, 'legacySessions'))).toBe(0);
    await control.deleteNamespace();
    await legacy.deleteNamespace();
  });

  it('reads summaries across days and deletes a namespace from every node', async () => {
    const state = new MonitorState(r, `${space.namespace}-sum`);
    const days = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'];
    for (const [i, day] of days.entries()) await state.archive.saveSummary(day, { n: i });
    const read = await state.archive.readSummaries([...days, '2025-03-05']);
    expect([...read.entries()]).toEqual(days.map((d, i) => [d, { n: i }]));
    expect(await state.deleteNamespace()).toBe(days.length);
    expect((await state.archive.readSummaries(days)).size).toBe(0);
  });

  it("keeps each intraday alert's first sighting and its latest, across days, and lets them expire with the day", async () => {
    const state = new MonitorState(r, `${space.namespace}-ia`, { ttlDays: 2 });
    const days = ['2025-03-01', '2025-03-02', '2025-03-03'];
    const at = (day: string, hhmm: string) => `${day}T${hhmm}:00.000Z`;
    for (const [i, day] of days.entries()) {
      await state.intradayAlerts.record(day, [
        { key: 'silence/*', at: at(day, '11:00'), text: `first of ${day}` },
        { key: `drop/${i}`, at: at(day, '11:00'), text: `only of ${day}` },
      ]);
      await state.intradayAlerts.record(day, [
        { key: 'silence/*', at: at(day, '13:00'), text: `last of ${day}` },
      ]);
      // a backfill after the scheduler: a run between them changes neither
      await state.intradayAlerts.record(day, [
        { key: 'silence/*', at: at(day, '12:00'), text: `between on ${day}` },
      ]);
    }
    await state.intradayAlerts.record(days[0]!, []);
    const read = await state.intradayAlerts.read([...days, '2025-03-04']);
    expect(read.get('2025-03-04')).toEqual([]);
    for (const day of days) {
      expect(read.get(day)!.sort((a, b) => a.first.localeCompare(b.first))).toEqual([
        { first: `first of ${day}`, last: `last of ${day}` },
        { first: `only of ${day}`, last: `only of ${day}` },
      ]);
      const ttl = await r.ttl(`em:{${state.namespace}:${day}}:intraday_alerts`);
      expect(ttl).toBeGreaterThan(86_400);
      expect(ttl).toBeLessThanOrEqual(2 * 86_400);
    }
    await state.deleteNamespace();
  });

  it('keeps the earliest sighting first and the latest last, whatever order the runs write in', async () => {
    const state = new MonitorState(r, `${space.namespace}-ib`);
    const day = '2025-03-07';
    const run = (hhmm: string) => ({ key: 'silence/*', at: `${day}T${hhmm}:00.000Z`, text: `run ${hhmm}` });
    // the scheduler came up at 12:00; a backfill then judged the day from midnight
    await state.intradayAlerts.record(day, [run('12:00')]);
    await state.intradayAlerts.record(day, [run('12:01')]);
    for (const hhmm of ['11:00', '11:10', '12:30', '13:00', '12:50'])
      await state.intradayAlerts.record(day, [run(hhmm)]);
    expect((await state.intradayAlerts.read([day])).get(day)).toEqual([
      { first: 'run 11:00', last: 'run 13:00' },
    ]);
    // a first kept before the times were (no firstAt) stays first, as it did; its last moves on
    const hash = `em:{${state.namespace}:2025-03-08}:intraday_alerts`;
    await r.hset(hash, 'first\tsilence/*', 'kept before', 'last\tsilence/*', 'kept before');
    await state.intradayAlerts.record('2025-03-08', [
      { key: 'silence/*', at: '2025-03-08T01:00:00.000Z', text: 'new' },
    ]);
    expect((await state.intradayAlerts.read(['2025-03-08'])).get('2025-03-08')).toEqual([
      { first: 'kept before', last: 'new' },
    ]);
    await state.deleteNamespace();
  });
});

describe('writes confirmed on replicas (WAIT), on the Redis Cluster', () => {
  const r = clusterRedis();
  afterAll(() => r.disconnect());
  const days = ['2025-03-01', '2025-03-02', '2025-03-03'];

  it('returns once every replica of the days written holds the writes', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-wait`, { minReplicas: 1 });
    for (const day of days) await apply(state, day, [event('a', `${day}T12:00:00Z`)]);
    await expect(state.days.awaitReplicas(days)).resolves.toEqual([]);
    await state.deleteNamespace();
  });

  it('a shard with fewer replicas than required holds the batch (retriably) within the grace period', async () => {
    offset = 0;
    const state = new MonitorState(r, `${space.namespace}-wait2`, { minReplicas: 2, replicaTimeoutMs: 200 });
    await apply(state, days[0]!, [event('a', `${days[0]}T12:00:00Z`)]);
    const err = await state.days.awaitReplicas([days[0]!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicasBehindError);
    expect(isRetriable(err)).toBe(true);
    expect((err as Error).message).toBe(
      'the shard has fewer than 2 replicas connected; the batch waits before its offsets are committed',
    );
    await state.deleteNamespace();
  });

  it('after the grace period, `available` writes on the replicas the shard has and counts the batch on its day; `strict` never does', async () => {
    offset = 0;
    const options = { minReplicas: 2, replicaTimeoutMs: 200, replicaGraceMs: 0 };
    const available = new MonitorState(r, `${space.namespace}-wait3`, options);
    await apply(available, days[0]!, [event('a', `${days[0]}T12:00:00Z`)]);
    // no grace: the shard short of replicas is written at once, on the one replica it has
    await expect(available.days.awaitReplicas([days[0]!])).resolves.toEqual([days[0]]);
    await expect(available.days.awaitReplicas([days[0]!])).resolves.toEqual([days[0]]);
    expect((await available.days.read(days[0]!)).counters.batchesWithoutReplica).toBe(2);
    await available.deleteNamespace();

    const strict = new MonitorState(r, `${space.namespace}-wait4`, { ...options, replicaPolicy: 'strict' });
    await apply(strict, days[0]!, [event('a', `${days[0]}T12:00:00Z`)]);
    for (let i = 0; i < 3; i++) {
      await expect(strict.days.awaitReplicas([days[0]!])).rejects.toBeInstanceOf(ReplicasBehindError);
    }
    expect((await strict.days.read(days[0]!)).counters.batchesWithoutReplica).toBe(0);
    await strict.deleteNamespace();
  });

  it('reports every shard with its online replicas', async () => {
    const state = new MonitorState(r, `${space.namespace}-shards`, { minReplicas: 1 });
    const { required, shards } = await state.days.redundancy();
    expect(required).toBe(1);
    expect(shards).toHaveLength(3);
    expect(shards.every((s) => s.replicas === 1 && /^\d+-\d+/.test(s.shard))).toBe(true);
  });
});
