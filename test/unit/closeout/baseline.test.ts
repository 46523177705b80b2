import { describe, expect, it } from 'vitest';
import { baselineOf, lookbackWindow, readWindow, zScore } from '../../../src/closeout/baseline.ts';
import { evaluateChecks, historyBaselines } from '../../../src/closeout/checks/evaluate.ts';
import type { MetricRef } from '../../../src/closeout/checks/metric-refs.ts';
import { withFeedback } from '../../../src/closeout/closeout.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import type { IntradayRecord } from '../../../src/intraday/alert-log.ts';
import { healthyMetrics, reportOf } from '../../helpers/reports.ts';

const rules = { days: 7, lookbackDays: 14, minDays: 7 };
const DAY = '2025-03-15';
/** values for the days before DAY, newest first: [D-1, D-2, ...] */
const history = (values: (number | null | undefined)[]) =>
  new Map(values.map((v, i) => [lookbackWindow(DAY, rules)[i]!, v]));

describe('baseline', () => {
  it('uses the 7 latest values: mean and sample std (n-1)', () => {
    const b = baselineOf(DAY, history([2, 4, 4, 4, 5, 5, 7, 100, 100]), rules);
    expect(b?.n).toBe(7);
    expect(b?.mean).toBeCloseTo(31 / 7, 10);
    const mean = 31 / 7;
    const variance = [2, 4, 4, 4, 5, 5, 7].reduce((a, v) => a + (v - mean) ** 2, 0) / 6;
    expect(b?.std).toBeCloseTo(Math.sqrt(variance), 10);
  });

  it('has no baseline with fewer than 7 values', () => {
    expect(baselineOf(DAY, history([1, 2, 3, 4, 5, 6]), rules)).toBeNull();
    expect(zScore(10, null)).toBeNull();
  });

  it('skips days where the metric is undefined (AOV without purchases) and days not closed', () => {
    const b = baselineOf(DAY, history([null, 10, undefined, 10, 10, null, 10, 10, 10, 10]), rules);
    expect(b).toEqual({ mean: 10, std: 0, n: 7 });
  });

  it('looks back at most 14 days', () => {
    // 6 values in the first 14 days, a 7th on day 15: no baseline
    const values: (number | null)[] = Array(14).fill(null);
    for (const i of [0, 2, 4, 6, 8, 13]) values[i] = 5;
    values.push(5);
    expect(baselineOf(DAY, history(values), rules)).toBeNull();
    values[12] = 5; // a 7th value inside the window
    expect(baselineOf(DAY, history(values), rules)?.n).toBe(7);
  });

  it('z is 0 when std is 0, and signed otherwise', () => {
    expect(zScore(99, { mean: 10, std: 0, n: 7 })?.z).toBe(0);
    expect(zScore(4, { mean: 10, std: 2, n: 7 })?.z).toBe(-3);
    expect(zScore(null, { mean: 10, std: 2, n: 7 })).toBeNull();
  });

  it('follows configured rules', () => {
    const three = { days: 3, lookbackDays: 5, minDays: 3 };
    const window = lookbackWindow(DAY, three);
    expect(window).toEqual(['2025-03-14', '2025-03-13', '2025-03-12', '2025-03-11', '2025-03-10']);
    const b = baselineOf(
      DAY,
      new Map([
        ['2025-03-14', 1],
        ['2025-03-12', 2],
        ['2025-03-10', 3],
      ]),
      three,
    );
    expect(b?.mean).toBe(2);
  });
});

describe('clean baselines: incident days left out', () => {
  // nine steady days of revenue, one of them (D-3) an incident: purchases lost, low_revenue CRITICAL
  const revenue = [1020, 980, 40, 1010, 995, 1005, 990, 1015, 985];
  const days = lookbackWindow(DAY, rules);
  const history = new Map(
    revenue.map((r, i) => [
      days[i]!,
      {
        metrics: { ...healthyMetrics(), revenue: r },
        alerts: i === 2 ? [{ check: 'low_revenue', severity: 'CRITICAL' as const, snoozed: false }] : [],
      },
    ]),
  );
  const config = parseMonitorConfig({});
  /** Today: revenue down by 30 %, the next day's anomaly. */
  const today = 700;
  const zOf = (excludeAlertedDays: boolean) =>
    zScore(
      today,
      historyBaselines(DAY, history, { ...config.baseline, excludeAlertedDays }).baseline('revenue'),
    );

  it('the incident day widens the band and hides the next anomaly; left out, it does not', () => {
    const kept = zOf(false)!;
    const clean = zOf(true)!;
    expect(kept.z).toBeCloseTo(-0.45, 2);
    expect(clean.z).toBeCloseTo(-20.99, 2);
    expect(clean.excluded).toEqual([{ day: days[2], check: 'low_revenue', reason: 'critical_alert' }]);
    expect(clean.n).toBe(7); // a day further back fills its place
    expect(kept.excluded).toBeUndefined();
  });

  it('so revenue_anomaly fires only against the clean baseline', () => {
    const fired = (excludeAlertedDays: boolean) =>
      evaluateChecks({
        day: DAY,
        gaps: [],
        metrics: { ...healthyMetrics(), revenue: today },
        schema: { field_sets: {}, schema_ids: {} },
        previousSchema: null,
        thresholds: { ...config.thresholds, minDailyRevenue: 0 },
        expectedFields: [],
        fieldAliases: {},
        expectedChannels: [],
        contract: null,
        history: historyBaselines(DAY, history, { ...config.baseline, excludeAlertedDays }),
      }).alerts.map((a) => a.check);
    expect(fired(false)).not.toContain('revenue_anomaly');
    expect(fired(true)).toContain('revenue_anomaly');
  });

  it('feedback decides: false_positive keeps an alerted day in, incident or expected keeps any day out', () => {
    const said = (verdicts: [number, string, 'incident' | 'expected' | 'false_positive'][]) =>
      new Map(
        [...history].map(([d, h], i) => [
          d,
          { ...h, feedback: new Map(verdicts.filter(([j]) => j === i).map(([, check, v]) => [check, v])) },
        ]),
      );
    const rulesOn = { ...config.baseline, excludeAlertedDays: true };
    const fp = historyBaselines(DAY, said([[2, 'low_revenue', 'false_positive']]), rulesOn).baseline(
      'revenue',
    );
    expect(fp?.excluded).toBeUndefined();
    // a day-long campaign pause, marked expected on its revenue_anomaly (a WARNING): out of the baseline
    const expected = historyBaselines(DAY, said([[5, 'revenue_anomaly', 'expected']]), {
      ...config.baseline,
      excludeAlertedDays: false,
    }).baseline('revenue');
    expect(expected?.excluded).toEqual([{ day: days[5], check: 'revenue_anomaly', reason: 'expected' }]);
  });

  it('a WARNING, or a CRITICAL about another metric, keeps the day in', () => {
    const other = new Map(
      [...history].map(([d, h]) => [
        d,
        { ...h, alerts: h.alerts.map((a) => ({ ...a, check: 'high_null_client_rate' })) },
      ]),
    );
    const b = historyBaselines(DAY, other, { ...config.baseline, excludeAlertedDays: true }).baseline(
      'revenue',
    );
    expect(b?.excluded).toBeUndefined();
  });
});

describe("clean baselines: the intraday schedule's incidents left out too", () => {
  // nine closed days; on D-4 the site went dark for three hours and the intraday schedule said so
  const days = lookbackWindow(DAY, rules);
  const outage: IntradayRecord = {
    check: 'intraday_silence',
    severity: 'CRITICAL',
    event_name: null,
    message: 'all events: no event for 40 min',
    since: `${days[3]}T10:48:00.000Z`,
    first_seen: `${days[3]}T11:30:00.000Z`,
    last_seen: `${days[3]}T13:40:00.000Z`,
    snoozed: false,
  };
  const reports = (record: Partial<IntradayRecord> | null) =>
    new Map(
      days.slice(0, 9).map((d, i) => [
        d,
        reportOf(d, {
          metrics: { event_count: i === 3 ? 2400 : 3500 + (i % 3) * 10, revenue: 1000 + (i % 2) * 20 },
          intraday: i === 3 && record ? [{ ...outage, ...record }] : [],
        }),
      ]),
    );
  const rulesOn = { ...parseMonitorConfig({}).baseline, excludeAlertedDays: true };
  const baseline = (record: Partial<IntradayRecord> | null, metric: MetricRef) =>
    historyBaselines(DAY, withFeedback(reports(record), []), rulesOn).baseline(metric);

  it('a day whose intraday run named an outage leaves the baselines of the metrics the check is about', () => {
    expect(baseline(null, 'event_count')?.excluded).toBeUndefined();
    const clean = baseline({}, 'event_count')!;
    expect(clean.excluded).toEqual([{ day: days[3], check: 'intraday_silence', reason: 'critical_alert' }]);
    expect(clean.mean).toBeGreaterThan(3500);
    expect(baseline({}, 'page_views')?.excluded).toHaveLength(1);
    // revenue is not what a silence is about
    expect(baseline({}, 'revenue')?.excluded).toBeUndefined();
  });

  it('a snoozed or WARNING intraday alert keeps the day in, as a close-out alert would', () => {
    expect(baseline({ snoozed: true }, 'event_count')?.excluded).toBeUndefined();
    expect(baseline({ severity: 'WARNING' }, 'event_count')?.excluded).toBeUndefined();
  });
});

describe('seasonal baselines: a day against the same weekday', () => {
  const seasonal = { ...rules, sameWeekday: { days: 8, minDays: 6, lookbackWeeks: 8 } };
  // 2025-03-16 is a Sunday: a shop with busy weekends, revenue 3,000 on weekdays and 9,000 on weekends
  const SUNDAY = '2025-03-16';
  const weeks = (n: number) =>
    new Map(
      Array.from({ length: 7 * n }, (_, i) => {
        const d = new Date(Date.parse(`${SUNDAY}T12:00:00Z`) - (i + 1) * 86_400_000);
        const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
        return [d.toISOString().slice(0, 10), (weekend ? 9000 : 3000) + (i % 3) * 100] as const;
      }),
    );

  it('with enough Sundays closed, a Sunday is judged against Sundays, and says so', () => {
    const b = baselineOf(SUNDAY, weeks(8), seasonal);
    expect(b?.season).toBe('same_weekday');
    expect(b?.n).toBe(8);
    expect(b!.mean).toBeGreaterThan(9000);
    // a Sunday at a weekday's level stands out against Sundays…
    expect(zScore(3000, b)!.z).toBeLessThan(-10);
    expect(Math.abs(zScore(9100, b)!.z)).toBeLessThan(1.5);
    // …and hides in the rolling baseline, where five weekdays widen the band
    const rolling = baselineOf(SUNDAY, weeks(8), rules)!;
    expect(rolling.season).toBeUndefined();
    expect(Math.abs(zScore(3000, rolling)!.z)).toBeLessThan(1);
  });

  it('with too few Sundays closed, the latest days, as before', () => {
    const b = baselineOf(SUNDAY, weeks(3), seasonal);
    expect(b?.season).toBeUndefined();
    expect(b?.n).toBe(7);
  });

  it('leaves incident Sundays out of it as well, and names them', () => {
    const leftOut = new Map([
      ['2025-03-09', { day: '2025-03-09', check: 'low_revenue', reason: 'critical_alert' as const }],
    ]);
    const b = baselineOf(SUNDAY, weeks(8), seasonal, leftOut);
    expect(b?.season).toBe('same_weekday');
    expect(b?.n).toBe(7);
    expect(b?.excluded?.map((e) => e.day)).toEqual(['2025-03-09']);
  });

  it("is the default: a Sunday at a weekday's revenue is named once eight weeks are closed, and hides without it", () => {
    const config = parseMonitorConfig({});
    const metrics = { ...healthyMetrics(), revenue: 3000 };
    const days = weeks(8);
    const history = new Map(
      [...days].map(([d, revenue]) => [d, { metrics: { ...healthyMetrics(), revenue }, alerts: [] }]),
    );
    const judge = (baseline: typeof config.baseline) =>
      evaluateChecks({
        day: SUNDAY,
        gaps: [],
        metrics,
        schema: { field_sets: {}, schema_ids: {} },
        previousSchema: null,
        thresholds: config.thresholds,
        expectedFields: [],
        fieldAliases: {},
        expectedChannels: [],
        contract: null,
        history: historyBaselines(SUNDAY, history, baseline),
      });
    const withSeason = judge(config.baseline);
    expect(withSeason.baselines.revenue?.season).toBe('same_weekday');
    expect(withSeason.alerts.map((a) => a.check)).toContain('revenue_anomaly');
    const without = judge({ ...config.baseline, sameWeekday: null });
    expect(without.baselines.revenue?.season).toBeUndefined();
    expect(without.alerts.map((a) => a.check)).not.toContain('revenue_anomaly');
  });
});

describe('special days: holidays and promotions from config', () => {
  const specialDays = [
    {
      name: 'Black Friday',
      kind: 'promotion',
      from: '2024-11-29',
      to: '2024-12-02',
      judge: 'own_kind' as const,
    },
    {
      name: 'Spring sale',
      kind: 'promotion',
      from: '2025-03-01',
      to: '2025-03-02',
      judge: 'own_kind' as const,
    },
    { name: 'Store closed', kind: 'holiday', from: '2025-03-05', to: '2025-03-05', judge: 'skip' as const },
    {
      name: 'Flash sale',
      kind: 'promotion',
      from: '2025-03-15',
      to: '2025-03-15',
      judge: 'own_kind' as const,
    },
  ];
  const base = { ...parseMonitorConfig({}).baseline, sameWeekday: null, specialDays };
  /** Revenue of every day the close-out may read: 1,000 on ordinary days, 5,000 on promotions, 10 when closed. */
  const revenueOn = (d: string) =>
    specialDays.find((w) => w.from <= d && d <= w.to)?.kind === 'promotion'
      ? 5000 + Number(d.slice(8)) // a little spread
      : d === '2025-03-05'
        ? 10
        : 1000 + (Number(d.slice(8)) % 3);
  const series = (day: string) => new Map(readWindow(day, base).map((d) => [d, revenueOn(d)]));

  it("a promotion day is judged against earlier days of its kind, last year's included, and says so", () => {
    expect(readWindow(DAY, base)).toEqual(expect.arrayContaining(['2024-11-29', '2024-12-02', '2025-03-01']));
    const b = baselineOf(DAY, series(DAY), base)!;
    expect(b.season).toBe('same_kind');
    expect(b.n).toBe(6); // 2025-03-02, 03-01, 2024-12-02 … 11-29
    expect(b.mean).toBeCloseTo((5002 + 5001 + 5002 + 5001 + 5030 + 5029) / 6, 6);
  });

  it('with fewer days of its kind than ownKindMinDays, or judge: skip, no baseline at all', () => {
    const noHistory = new Map([...series(DAY)].filter(([d]) => d >= '2025-01-01'));
    // two spring-sale days this year: fewer than the default three
    expect(baselineOf(DAY, noHistory, base)).toBeNull();
    expect(baselineOf(DAY, noHistory, { ...base, ownKindMinDays: 2 })!.n).toBe(2);
    expect(baselineOf('2025-03-05', series('2025-03-05'), base)).toBeNull();
  });

  it('an ordinary day leaves every special day out, and days further back take their place', () => {
    const day = '2025-03-07';
    const b = baselineOf(day, series(day), base)!;
    expect(b.excluded).toEqual([
      { day: '2025-03-05', check: 'Store closed', reason: 'special_day' },
      { day: '2025-03-02', check: 'Spring sale', reason: 'special_day' },
      { day: '2025-03-01', check: 'Spring sale', reason: 'special_day' },
    ]);
    expect(b.n).toBe(7);
    expect(b.mean).toBeGreaterThan(999);
    expect(b.mean).toBeLessThan(1003);
    // without the windows, the sale and the closed day widen the band
    const plain = baselineOf(day, series(day), { ...base, specialDays: [] })!;
    expect(plain.std).toBeGreaterThan(100 * b.std);
  });
});
