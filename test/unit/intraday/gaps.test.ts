/**
 * The day's gaps on made-up slots: a span without events the baseline days
 * never had is found to the second and called unlikely; the quiet night and
 * a sparse type's usual pauses are not listed.
 */
import { describe, expect, it } from 'vitest';
import { emptySeries, type IntradayDay, SLOTS_PER_DAY } from '../../../src/aggregation/intraday.ts';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';
import { dayGaps } from '../../../src/intraday/gaps.ts';

const DATE = '2025-03-07';
const utc = new DayResolver('UTC');
const slotStart = (slot: number) => utc.instantOf(DATE, slot * 10);

/** Per slot, events of one type: `perSlot(slot)`, spread over the slot (first at +1 min, last at +9 min). */
function day(perSlot: (slot: number) => number, date = DATE): IntradayDay {
  const series = emptySeries();
  const spans = new Map<number, { first: number; last: number }>();
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    series[s] = perSlot(s);
    const start = utc.instantOf(date, s * 10);
    if (series[s]! > 0) spans.set(s, { first: start + 60_000, last: start + 9 * 60_000 });
  }
  return {
    byType: new Map([['page_viewed', series]]),
    totals: [...series],
    nullClients: emptySeries(),
    spans: new Map([['page_viewed', spans]]),
  };
}
const daytime = (n: number) => (s: number) => (s >= 42 && s < 138 ? n : 0);
const baseline = [20, 22, 24, 19, 21, 23, 20].map((n) => day(daytime(n)));

describe('the day’s gaps', () => {
  it('names a three-hour stop from the last event before it to the first after it, for the stream and the type', () => {
    const today = day((s) => (s >= 66 && s < 84 ? 0 : daytime(21)(s)));
    const gaps = dayGaps({
      date: DATE,
      day: today,
      baseline,
      instantOf: (d, m) => utc.instantOf(d, m),
      maxP: 1e-6,
    });
    expect(gaps.map((g) => g.event_name)).toEqual([null, 'page_viewed']);
    expect(gaps[0]).toMatchObject({
      start: new Date(slotStart(65) + 9 * 60_000).toISOString(),
      end: new Date(slotStart(84) + 60_000).toISOString(),
      local_start: '10:59:00',
      local_end: '14:01:00',
      minutes: 182,
    });
    // 18 slots and a fifth of the baseline's 21 a slot, at this day's level
    expect(gaps[0]!.expected).toBeGreaterThan(350);
    expect(gaps[0]!.p).toBeLessThan(1e-100);
  });

  it('lists nothing on a normal day: the night is as quiet as the baseline nights, the short pauses too short', () => {
    const gaps = dayGaps({
      date: DATE,
      day: day(daytime(21)),
      baseline,
      instantOf: (d, m) => utc.instantOf(d, m),
      maxP: 1e-3,
    });
    expect(gaps).toEqual([]);
  });

  it('one baseline day with the same outage does not hide it', () => {
    const broken = (s: number) => (s >= 66 && s < 84 ? 0 : daytime(21)(s));
    const gaps = dayGaps({
      date: DATE,
      day: day(broken),
      baseline: [...baseline.slice(1), day(broken)],
      instantOf: (d, m) => utc.instantOf(d, m),
      maxP: 1e-6,
    });
    expect(gaps.map((g) => g.event_name)).toEqual([null, 'page_viewed']);
  });
});
