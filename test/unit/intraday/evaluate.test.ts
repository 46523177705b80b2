/**
 * The intraday checks on made-up slots: count statistics against known
 * values, each check firing when the day breaks and not before, quiet hours
 * left alone, baseline days chosen by weekday when there are enough.
 */
import { describe, expect, it } from 'vitest';
import { emptySeries, type IntradayDay, SLOTS_PER_DAY } from '../../../src/aggregation/intraday.ts';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';
import { alertStats } from '../../../src/closeout/alert-stats.ts';
import type { Report } from '../../../src/closeout/report.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { defineIntradayCheck } from '../../../src/intraday/checks.ts';
import { baselineDaysOf, evaluateIntraday, type IntradayInput } from '../../../src/intraday/evaluate.ts';
import { binomialSf, countCdf, lnGamma, meanAndVariance } from '../../../src/intraday/statistics.ts';

const config = parseMonitorConfig({});
const { rules, roles } = { rules: config.intraday, roles: config.source.mapping.events };
const utc = new DayResolver('UTC');

describe('count statistics', () => {
  it('ln Γ matches factorials', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 12);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('P(X ≤ k): Poisson when the variance is the mean, negative binomial above it', () => {
    expect(countCdf(0, 3, 3)).toBeCloseTo(Math.exp(-3), 12);
    expect(countCdf(2, 3, 3)).toBeCloseTo(Math.exp(-3) * (1 + 3 + 4.5), 12);
    // r = 10, p = 0.5
    expect(countCdf(0, 10, 20)).toBeCloseTo(0.5 ** 10, 12);
    expect(countCdf(1000, 10, 20)).toBeCloseTo(1, 9);
    expect(countCdf(-1, 10, 10)).toBe(0);
  });

  it('P(X ≥ k) of a binomial', () => {
    expect(binomialSf(1, 10, 0.1)).toBeCloseTo(1 - 0.9 ** 10, 12);
    expect(binomialSf(0, 10, 0.1)).toBe(1);
    expect(binomialSf(3, 10, 0)).toBe(0);
  });

  it('mean and sample variance', () => {
    expect(meanAndVariance([2, 4, 6])).toEqual({ mean: 4, variance: 4 });
    expect(meanAndVariance([5])).toEqual({ mean: 5, variance: 0 });
  });
});

/** A day of slots: per event type, events per slot from a function of the slot. */
function day(types: Record<string, (slot: number) => number>, nullShare: (slot: number) => number = () => 0) {
  const d: IntradayDay = {
    byType: new Map(),
    nullClients: emptySeries(),
    totals: emptySeries(),
    spans: new Map(),
  };
  for (const [type, f] of Object.entries(types)) {
    const s = emptySeries();
    for (let i = 0; i < SLOTS_PER_DAY; i++) s[i] = f(i);
    d.byType.set(type, s);
    s.forEach((n, i) => {
      d.totals[i]! += n;
    });
  }
  d.nullClients = d.totals.map((n, i) => Math.round(n * nullShare(i)));
  return d;
}
/** Daytime traffic with some day-to-day wobble; nights nearly empty. */
const pageViews = (wobble: number) => (slot: number) =>
  slot >= 42 && slot < 138 ? 40 + wobble : slot % 12 === 0 ? 1 : 0;
const carts = (wobble: number) => (slot: number) => (slot >= 42 && slot < 138 ? 3 + (wobble % 2) : 0);
const DATE = '2025-03-10';
const history = (n: number) =>
  new Map(
    Array.from({ length: n }, (_, i) => [
      DayResolver.previous(DATE, i + 1),
      day({ page_viewed: pageViews(i % 3), product_added_to_cart: carts(i) }),
    ]),
  );
const judge = (today: IntradayDay, at: string, h = history(7), extra: Partial<IntradayInput> = {}) => {
  const [hh, mm] = at.split(':').map(Number);
  return evaluateIntraday({
    ...extra,
    date: DATE,
    atMinute: hh! * 60 + mm!,
    today,
    history: h,
    rules,
    roles,
    maxNullClientRate: 0.05,
    instantOf: (d, m) => utc.instantOf(d, m),
  });
};
const fired = (v: ReturnType<typeof judge>) =>
  v.alerts.map((a) => `${a.check}:${a.event_name ?? '*'}:${a.severity}`);

describe('the intraday checks', () => {
  it('a normal day, judged at every hour, raises nothing (quiet nights included)', () => {
    const normal = day({ page_viewed: pageViews(1), product_added_to_cart: carts(1) });
    for (let h = 0; h <= 24; h++)
      expect(fired(judge(normal, `${String(h).padStart(2, '0')}:00`)), `${h}:00`).toEqual([]);
  });

  it('page views stopping at noon: a critical alert by 13:00, none at noon', () => {
    const broken = day({
      page_viewed: (s) => (s < 72 ? pageViews(1)(s) : 0),
      product_added_to_cart: carts(1),
    });
    expect(fired(judge(broken, '12:00'))).toEqual([]);
    const at13 = judge(broken, '13:00');
    expect(fired(at13)).toEqual(
      expect.arrayContaining([
        'intraday_volume_drop:page_viewed:CRITICAL',
        'intraday_silence:page_viewed:CRITICAL',
      ]),
    );
    const drop = at13.alerts.find((a) => a.check === 'intraday_volume_drop')!;
    expect(drop).toMatchObject({ observed: 0, since: '2025-03-10T12:00:00.000Z' });
    // six slots of the baseline days' 40 to 42, each scaled to today's level (41 a slot in the three hours before)
    expect(drop.expected).toBeCloseTo(6 * 41, 1);
  });

  it('a stop is named at the first run after it once nothing in that span is unlikely enough, even with one baseline day broken the same way', () => {
    const stopped = (s: number) => (s < 72 ? pageViews(1)(s) : 0);
    const h = history(7);
    const yesterday = DayResolver.previous(DATE, 1);
    h.set(yesterday, day({ page_viewed: stopped, product_added_to_cart: carts(0) }));
    const today = day({ page_viewed: stopped, product_added_to_cart: carts(1) });
    expect(fired(judge(today, '12:00', h))).toEqual([]);
    const at1210 = judge(today, '12:10', h);
    expect(fired(at1210)).toContain('intraday_silence:page_viewed:CRITICAL');
    expect(at1210.baseline_days).toContain(yesterday);
    // the carts go on: not a dark site
    expect(fired(at1210)).not.toContain('intraday_silence:*:CRITICAL');
    // when every event stops, the stream as a whole is named too
    const dark = day({ page_viewed: stopped, product_added_to_cart: (s) => (s < 72 ? carts(1)(s) : 0) });
    expect(fired(judge(dark, '12:10', h))).toContain('intraday_silence:*:CRITICAL');
  });

  it('a partial drop is judged over the shortest window or longer: a dip of 40 minutes is not named, the same drop for an hour is', () => {
    // page views at a third of their level from 17:50 for 40 minutes, then for 60
    const dipped = (slots: number) =>
      day({
        page_viewed: (s) => (s >= 107 && s < 107 + slots ? 13 : pageViews(1)(s)),
        product_added_to_cart: carts(1),
      });
    const named = (v: ReturnType<typeof judge>) =>
      fired(v).filter((a) => a.startsWith('intraday_volume_drop:page_viewed'));
    expect(named(judge(dipped(4), '18:30'))).toEqual([]);
    expect(named(judge(dipped(6), '18:50'))).toEqual(['intraday_volume_drop:page_viewed:CRITICAL']);
    // a stop is judged from its first slot: nothing is no dip
    const stopped = day({
      page_viewed: (s) => (s >= 107 && s < 109 ? 0 : pageViews(1)(s)),
      product_added_to_cart: carts(1),
    });
    expect(named(judge(stopped, '18:10'))).toEqual(['intraday_volume_drop:page_viewed:CRITICAL']);
  });

  it('a silence is judged to the minute, from the last event kept to the second', () => {
    // page views stop at 12:03:00, inside the slot from 12:00
    const today = day({ page_viewed: (s) => (s < 72 ? pageViews(1)(s) : s === 72 ? 12 : 0) });
    const at = (hh: number, mm: number, ss = 0) => utc.instantOf(DATE, hh * 60 + mm) + ss * 1000;
    today.spans.set('page_viewed', new Map([[72, { first: at(12, 0, 10), last: at(12, 3) }]]));
    const silence = (time: string) =>
      judge(today, time).alerts.find((a) => a.check === 'intraday_silence' && a.event_name === 'page_viewed');
    // the slot under way counts from its first event on: no silence while it runs
    expect(silence('12:02')).toBeUndefined();
    expect(silence('12:12')).toBeUndefined();
    // ten minutes without one (the floor; the baseline days never went a slot without)
    expect(silence('12:13')).toMatchObject({
      severity: 'CRITICAL',
      since: '2025-03-10T12:03:00.000Z',
      observed: 10,
    });
    // judged only at the end of each slot, it would have waited for 12:20
  });

  it('add-to-cart stopping at noon: named within three hours', () => {
    const broken = day({
      page_viewed: pageViews(1),
      product_added_to_cart: (s) => (s < 72 ? carts(1)(s) : 0),
    });
    expect(fired(judge(broken, '12:00'))).toEqual([]);
    expect(fired(judge(broken, '15:00')).filter((f) => f.includes('product_added_to_cart'))).not.toEqual([]);
  });

  it('add-to-cart stopping at noon while page views go on: the step named as stopped by 14:00, not at noon', () => {
    const broken = day({
      page_viewed: pageViews(1),
      product_added_to_cart: (s) => (s < 72 ? carts(1)(s) : 0),
    });
    expect(fired(judge(broken, '12:00'))).toEqual([]);
    const at14 = judge(broken, '14:00');
    expect(fired(at14)).toContain('intraday_step_stopped:product_added_to_cart:CRITICAL');
    const step = at14.alerts.find((a) => a.check === 'intraday_step_stopped')!;
    // 12 slots of the baseline's 3 or 4 carts, at today's page views
    expect(step).toMatchObject({ observed: 0, since: '2025-03-10T12:00:00.000Z', snoozed: false });
    expect(step.expected).toBeGreaterThan(35);
    expect(step.message).toContain('addToCart (product_added_to_cart): 0 events in the last 120 min');
  });

  it("the step check stays quiet when page views stop too: an outage is the volume checks' to name", () => {
    const dark = day({
      page_viewed: (s) => (s < 72 ? pageViews(1)(s) : 0),
      product_added_to_cart: (s) => (s < 72 ? carts(1)(s) : 0),
    });
    const at14 = fired(judge(dark, '14:00'));
    expect(at14).toContain('intraday_volume_drop:page_viewed:CRITICAL');
    expect(at14.filter((f) => f.startsWith('intraday_step_stopped'))).toEqual([]);
  });

  it('a snoozed check is judged and kept in the verdict, marked snoozed', () => {
    const broken = day({
      page_viewed: pageViews(1),
      product_added_to_cart: (s) => (s < 72 ? carts(1)(s) : 0),
    });
    const v = judge(broken, '14:00', history(7), { snoozed: new Set(['intraday_step_stopped']) });
    const step = v.alerts.filter((a) => a.check === 'intraday_step_stopped');
    expect(step).toHaveLength(1);
    expect(step[0]!.snoozed).toBe(true);
    expect(v.alerts.filter((a) => a.check !== 'intraday_step_stopped').every((a) => !a.snoozed)).toBe(true);
  });

  it('half the events without a client id from 09:00: the null rate by 10:00, not at 09:00', () => {
    const broken = day({ page_viewed: pageViews(1), product_added_to_cart: carts(1) }, (s) =>
      s >= 54 ? 0.5 : 0,
    );
    expect(fired(judge(broken, '09:00'))).toEqual([]);
    const at10 = judge(broken, '10:00');
    expect(fired(at10)).toEqual(['intraday_null_client_rate:*:CRITICAL']);
    expect(at10.alerts[0]).toMatchObject({ expected: 0, since: '2025-03-10T09:00:00.000Z' });
    expect(at10.alerts[0]!.observed).toBeCloseTo(0.51, 2); // 21 of 41 an hour slot, rounded up
  });

  it('a sparse type is judged by what silence is normal for it: five quiet hours of purchases are no alarm', () => {
    // purchases: about one an hour from 08:00 to midnight
    const sparse = (phase: number) => (s: number) => ((s + phase) % 6 === 0 && s >= 48 ? 1 : 0);
    const h = new Map(
      Array.from({ length: 7 }, (_, i) => [
        DayResolver.previous(DATE, i + 1),
        day({ page_viewed: pageViews(0), checkout_completed: sparse(i) }),
      ]),
    );
    const gap = day({
      page_viewed: pageViews(0),
      checkout_completed: (s) => (s >= 72 && s < 102 ? 0 : sparse(0)(s)),
    });
    for (const at of ['14:00', '17:00', '23:00']) expect(fired(judge(gap, at, h)), at).toEqual([]);
    // a whole day without one, when fifteen were expected by 23:00, is another matter
    expect(fired(judge(day({ page_viewed: pageViews(0), checkout_completed: () => 0 }), '23:00', h))).toEqual(
      ['intraday_silence:checkout_completed:CRITICAL'],
    );
  });

  it('incident days left out of the baseline no longer hide the same failure today, even when they are most of it', () => {
    // four of the last seven days lost their page views from noon to 13:00, and were closed as incidents:
    // more than the robust estimates can see through on their own
    const outage = (s: number) => (s >= 72 && s < 78 ? 0 : pageViews(1)(s));
    const h = new Map(
      Array.from({ length: 7 }, (_, i) => [
        DayResolver.previous(DATE, i + 1),
        day({ page_viewed: i < 4 ? outage : pageViews(i % 3), product_added_to_cart: carts(i) }),
      ]),
    );
    const incidents = new Map([1, 2, 3, 4].map((i) => [DayResolver.previous(DATE, i), 'page_view_drop']));
    const today = day({ page_viewed: outage, product_added_to_cart: carts(1) });
    const at13 = (leftOut?: IntradayInput['leftOut']) => judge(today, '13:00', h, leftOut ? { leftOut } : {});
    const kept = at13();
    expect(fired(kept).filter((f) => f.includes('page_viewed'))).toEqual([]);
    const clean = at13({ volume: incidents, nullClient: new Map() });
    expect(fired(clean)).toContain('intraday_volume_drop:page_viewed:CRITICAL');
    expect(clean.baseline_days).not.toContain(DayResolver.previous(DATE, 1));
    expect(clean.excluded).toEqual(
      [4, 3, 2, 1].map((i) => ({
        day: DayResolver.previous(DATE, i),
        check: 'page_view_drop',
        baseline: 'volume',
      })),
    );
  });

  it('too few baseline days: says so instead of judging', () => {
    const v = judge(day({ page_viewed: () => 0 }), '13:00', history(2));
    expect(v.alerts).toEqual([]);
    expect(v.note).toBe('2 baseline day(s) with events, 3 needed: not judged');
  });

  it('compares with the same weekday when enough of them have events, else with the latest days', () => {
    const h = history(28);
    expect(baselineDaysOf(DATE, h, rules)).toEqual(['2025-02-10', '2025-02-17', '2025-02-24', '2025-03-03']);
    expect(baselineDaysOf(DATE, history(14), rules)).toEqual(
      Array.from({ length: 7 }, (_, i) => DayResolver.previous(DATE, 7 - i)),
    );
  });
});

describe('special days (baseline.specialDays)', () => {
  const sale = (from: string, to = from, judge: 'own_kind' | 'skip' = 'own_kind') => ({
    name: 'Sale',
    kind: 'promotion',
    from,
    to,
    judge,
  });
  // DATE (a Monday) and three earlier days are sale days; 03-05 the shop was closed
  const specialDays = [
    sale('2025-02-20', '2025-02-21'),
    sale('2025-03-01'),
    sale(DATE),
    { ...sale('2025-03-05', '2025-03-05', 'skip'), name: 'Closed', kind: 'holiday' },
  ];

  it('a sale day is compared with the latest sale days, an ordinary day never with them', () => {
    expect(baselineDaysOf(DATE, history(28), rules, new Map(), specialDays)).toEqual([
      '2025-02-20',
      '2025-02-21',
      '2025-03-01',
    ]);
    // the next Monday: its same weekdays, 03-10 (the sale) left out
    const monday = '2025-03-17';
    const h = new Map([...history(28), [DATE, day({ page_viewed: pageViews(1) })]]);
    expect(baselineDaysOf(monday, h, rules, new Map(), specialDays)).toEqual([
      '2025-02-17',
      '2025-02-24',
      '2025-03-03',
    ]);
    // the latest days, with every special day passed over
    const latest = baselineDaysOf('2025-03-07', history(28), rules, new Map(), specialDays);
    expect(latest).toHaveLength(7);
    for (const d of ['2025-03-05', '2025-03-01', '2025-02-20', '2025-02-21']) expect(latest).not.toContain(d);
  });

  it('a sale day with too few sale days before it, or a day to skip, is not judged, and the verdict says why', () => {
    const stopped = day({ page_viewed: (slot) => (slot < 72 ? pageViews(0)(slot) : 0) });
    const v = judge(stopped, '13:00', history(28), { specialDays: [sale(DATE)] });
    expect(v.alerts).toEqual([]);
    expect(v.note).toBe('0 baseline day(s) of its kind (Sale, promotion) with events, 3 needed: not judged');
    const skipped = judge(stopped, '13:00', history(28), { specialDays: [sale(DATE, DATE, 'skip')] });
    expect(skipped.alerts).toEqual([]);
    expect(skipped.note).toBe(
      'Sale (promotion): a special day, judged against no baseline (judge: skip): not judged',
    );
    // the same day, ordinary: the stop is named
    expect(fired(judge(stopped, '13:00', history(28)))).toContain(
      'intraday_volume_drop:page_viewed:CRITICAL',
    );
  });

  it('with enough sale days before it, a sale day is judged against them', () => {
    const stopped = day({ page_viewed: (slot) => (slot < 72 ? pageViews(0)(slot) : 0) });
    const v = judge(stopped, '13:00', history(28), { specialDays });
    expect(v.baseline_days).toEqual(['2025-02-20', '2025-02-21', '2025-03-01']);
    expect(fired(v)).toContain('intraday_volume_drop:page_viewed:CRITICAL');
  });
});

describe('local time of day', () => {
  it('minutes since local midnight, and the instant of a local time, in a zone with DST', () => {
    const berlin = new DayResolver('Europe/Berlin');
    const t = Date.parse('2025-03-01T11:30:00Z'); // 12:30 in Berlin (UTC+1)
    expect(berlin.minuteOfDay(t)).toBe(12 * 60 + 30);
    expect(berlin.instantOf('2025-03-01', 12 * 60 + 30)).toBe(t);
    expect(utc.minuteOfDay(t)).toBe(11 * 60 + 30);
  });
});

describe('monitoring the monitor', () => {
  it('per check: days fired, verdicts, false-positive share, mean days from first alert to quiet', () => {
    const report = (alerts: string[]) =>
      ({ alerts: alerts.map((check) => ({ check, snoozed: false })) }) as unknown as Report;
    const reports = new Map([
      ['2025-03-01', report(['low_revenue'])],
      ['2025-03-02', report(['low_revenue', 'bot_spike'])],
      ['2025-03-03', report([])],
      ['2025-03-04', report(['low_revenue'])],
    ]);
    const stats = alertStats(reports, [
      { day: '2025-03-04', check: 'low_revenue', verdict: 'false_positive', note: '', atMs: 0 },
      { day: '2025-03-02', check: 'bot_spike', verdict: 'expected', note: 'crawl', atMs: 0 },
    ]);
    expect(stats).toEqual([
      {
        check: 'bot_spike',
        alert_days: 1,
        false_positive: 0,
        incident: 0,
        expected: 1,
        false_positive_share: 0,
        mean_days_to_quiet: 1,
      },
      {
        check: 'low_revenue',
        alert_days: 3,
        false_positive: 1,
        incident: 0,
        expected: 0,
        false_positive_share: 0.333,
        mean_days_to_quiet: 1.5,
      },
    ]);
  });
});

describe('a check is its declaration', () => {
  // not in the registry: declared here, it runs on the engine as the registry's checks do
  const quiet = defineIntradayCheck({
    id: 'intraday_type_quiet',
    severity: 'WARNING',
    kind: 'silence',
    about: ['event_count'],
    parameters: 'silence',
    message: (f) => `${f.type} quiet for ${f.minutes} min`,
    playbook: { title: () => 'An event type went quiet', investigate: ['Look'], resolution: 'Fix it' },
  });

  it('a declaration given to the engine raises alerts under its id, severity and message', () => {
    const broken = day({
      page_viewed: (s) => (s < 72 ? pageViews(1)(s) : 0),
      product_added_to_cart: carts(1),
    });
    const at = (time: string) => {
      const [hh, mm] = time.split(':').map(Number);
      return evaluateIntraday(
        {
          date: DATE,
          atMinute: hh! * 60 + mm!,
          today: broken,
          history: history(7),
          rules,
          roles,
          maxNullClientRate: 0.05,
          instantOf: (d, m) => utc.instantOf(d, m),
        },
        [quiet],
      );
    };
    expect(at('12:00').alerts).toEqual([]);
    const alerts = at('13:00').alerts;
    expect(alerts.map((a) => [a.check, a.severity, a.event_name])).toEqual([
      ['intraday_type_quiet', 'WARNING', 'page_viewed'],
    ]);
    expect(alerts[0]!.message).toBe('page_viewed quiet for 60 min');
  });
});
