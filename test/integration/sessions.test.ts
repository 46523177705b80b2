/**
 * Streaming sessions on real Redis (the apply script): splitting at the gap,
 * batch boundaries that do not matter, every arrival order within the stated
 * bound giving the in-order result (including a late event that bridges two
 * sessions), stragglers beyond it, bots left out, redeliveries applied once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayDelta } from '../../src/aggregation/day-delta.ts';
import { dayMetrics } from '../../src/closeout/day-metrics.ts';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { EventValidator } from '../../src/validation/event.ts';
import { redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const config = parseMonitorConfig({});
const validator = new EventValidator(config.ingest);
const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GAP_MIN = 30;
const r = redis();
let space: TestSpace;
let state: MonitorState;

/** An event `minute` minutes after 10:00 UTC on `day`. */
const at = (client: string, day: string, minute: number, over: Record<string, unknown> = {}) => {
  const v = validator.validate(
    {
      client_id: client,
      page_url: 'https://puffy.com/',
      referrer: null,
      timestamp: new Date(Date.parse(`${day}T10:00:00Z`) + minute * 60_000).toISOString(),
      event_name: 'page_viewed',
      event_data: null,
      user_agent: BROWSER,
      ...over,
    },
    Date.parse('2030-01-01T00:00:00Z'),
  );
  if (!v.ok) throw new Error(v.reason);
  return v.event;
};

const offsets = new Map<string, number>();
/** Apply `events` as one batch of partition p/0; returns the script's answer. */
async function apply(day: string, events: ReturnType<typeof at>[], redeliver = false) {
  const delta = new DayDelta(day, {
    traffic: { excludeBots: true, sessionGapMinutes: GAP_MIN },
    channels: config.channels,
  });
  for (const e of events) delta.addAccepted(e, null);
  const before = offsets.get(day) ?? -1;
  const last = redeliver ? before : before + events.length;
  const [result] = await state.days.applyMany([
    {
      delta,
      partitionKey: 'p/0',
      lastOffset: last,
      expectedWatermark: redeliver ? before - events.length : before,
    },
  ]);
  offsets.set(day, last);
  return result;
}
const metricsOf = async (day: string) => dayMetrics(await state.days.read(day));

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { createTopic: false });
  state = new MonitorState(r, space.namespace);
});
afterAll(async () => {
  r.disconnect();
  await space.cleanup();
});

describe('sessions', () => {
  it('cut where two events are more than 30 minutes apart; exactly 30 stays one session', async () => {
    const day = '2025-03-01';
    // c1: [0, 10] [45, 50] [200]; c2: [0, 30] (a gap of exactly 30 minutes)
    await apply(
      day,
      [0, 10, 45, 50, 200].map((m) => at('c1', day, m)),
    );
    await apply(day, [at('c2', day, 0), at('c2', day, 30, { event_name: 'product_added_to_cart' })]);
    const m = await metricsOf(day);
    expect(m.sessions).toBe(4);
    expect(m.session_length_mean_s).toBe(((10 + 5 + 0 + 30) * 60) / 4);
    expect(m.page_depth_mean).toBe(1.5); // 2 + 2 + 1 + 1 page views over 4 sessions
    expect(m.bounce_rate).toBe(0.5); // [200] and c2's session have one page view each
    expect(m.session_length_median_s).toBeGreaterThan(0);
    expect(m.session_stragglers).toBe(0);
  });

  it('gives the same figures whatever the batch boundaries', async () => {
    const minutes = [0, 10, 45, 50, 200];
    await apply(
      '2025-03-02',
      minutes.map((m) => at('c1', '2025-03-02', m)),
    );
    for (const m of minutes) await apply('2025-03-03', [at('c1', '2025-03-03', m)]);
    await apply('2025-03-04', [at('c1', '2025-03-04', 0), at('c1', '2025-03-04', 45)]);
    await apply('2025-03-04', [at('c1', '2025-03-04', 10), at('c1', '2025-03-04', 200)]);
    await apply('2025-03-04', [at('c1', '2025-03-04', 50)]);
    const [a, b, c] = await Promise.all(['2025-03-02', '2025-03-03', '2025-03-04'].map(metricsOf));
    for (const other of [b, c]) {
      for (const k of ['sessions', 'session_length_mean_s', 'page_depth_mean', 'bounce_rate'] as const) {
        expect(other![k], k).toBe(a![k]);
      }
    }
  });

  it('every arrival order within one gap of lateness gives the in-order result, bridging included', async () => {
    // in order: [0, 15, 20, 31] and [70, 75]; 15 and 20 bridge 0 and 31 (31 minutes apart)
    const minutes = [0, 15, 20, 31, 70, 75];
    const day = '2025-03-05';
    const orders = permutations(minutes).filter((order) =>
      order.every((m, i) => Math.max(m, ...order.slice(0, i)) - m <= GAP_MIN),
    );
    expect(orders.length).toBeGreaterThan(20);
    const late = (o: number[], m: number) => o.indexOf(m) > o.indexOf(31) && o.indexOf(m) > o.indexOf(0);
    expect(orders.some((o) => late(o, 15) && late(o, 20))).toBe(true); // a bridge arrives last
    for (const [i, order] of orders.entries()) {
      for (const m of order) await apply(day, [at(`p${i}`, day, m)]); // one batch per event
    }
    const m = await metricsOf(day);
    expect(m.sessions).toBe(2 * orders.length);
    expect(m.session_length_mean_s).toBe(((31 + 5) * 60) / 2);
    expect(m.page_depth_mean).toBe(3);
    expect(m.session_stragglers).toBe(0);
  });

  it('beyond the bound, an event that fits the previous session still joins it', async () => {
    const day = '2025-03-09';
    await apply(
      day,
      [0, 5, 100].map((m) => at('c1', day, m)),
    ); // [0,5] [100]
    await apply(day, [at('c1', day, 8)]); // 92 minutes late, within the gap of [0,5]
    const m = await metricsOf(day);
    expect(m.sessions).toBe(2);
    expect(m.session_length_mean_s).toBe((8 * 60) / 2);
    expect(m.session_stragglers).toBe(0);
  });

  it('counts an event later than that as a straggler instead of inventing a session', async () => {
    const day = '2025-03-06';
    await apply(
      day,
      [0, 5, 100, 200].map((m) => at('c1', day, m)),
    ); // three sessions: [0,5] [100] [200]
    await apply(day, [at('c1', day, 2)]); // belongs to [0,5], which is no longer tracked
    const m = await metricsOf(day);
    expect(m.sessions).toBe(3);
    expect(m.session_stragglers).toBe(1);
  });

  it('leaves bots out of sessions', async () => {
    const day = '2025-03-07';
    await apply(day, [
      at('bot', day, 0, { user_agent: GOOGLEBOT }),
      at('bot', day, 1, { user_agent: GOOGLEBOT }),
    ]);
    await apply(day, [at('human', day, 0)]);
    const m = await metricsOf(day);
    expect(m.sessions).toBe(1);
    expect(m.bot_share).toBeCloseTo(2 / 3, 6);
  });

  it('applies a redelivered batch once', async () => {
    const day = '2025-03-08';
    const batch = [at('c1', day, 0), at('c1', day, 3)];
    expect((await apply(day, batch))?.status).toBe('applied');
    expect((await apply(day, batch, true))?.status).toBe('already_applied');
    expect((await metricsOf(day)).sessions).toBe(1);
  });
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
