/**
 * The HTML report's model and markup, from crafted stored reports: what the
 * charts are fed (window, bands, alert marks), the baselines of the funnel and
 * channel bars, the field health, and that nothing from a report reaches the
 * page unescaped. The browser side is in the integration tests.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DayResolver } from '../../../../src/calendar/day-resolver.ts';
import { renderDayPage } from '../../../../src/closeout/html/day-page.ts';
import { renderIndexPage } from '../../../../src/closeout/html/index-page.ts';
import {
  CHART_MAX_DAYS,
  CHART_MIN_DAYS,
  channelRows,
  chartWindow,
  dayPageModel,
  fieldHealth,
  funnelRows,
  metricSeries,
} from '../../../../src/closeout/html/page-model.ts';
import type { Report } from '../../../../src/closeout/report.ts';
import { loadMonitorConfig, parseMonitorConfig } from '../../../../src/config/monitor-config.ts';
import { REPO_ROOT } from '../../../../stack/services.ts';
import { reportOf } from '../../../helpers/reports.ts';

/** The real export's shop: Direct and Paid Search are expected channels there. */
const config = loadMonitorConfig(join(REPO_ROOT, 'config', 'puffy.yaml'));
const NO_SCRIPTS = { scripts: [] };

/** `n` consecutive closed days ending at `last`, each made by `make`. */
function closedDays(last: string, n: number, make: (date: string, i: number) => Report = (d) => reportOf(d)) {
  const out = new Map<string, Report>();
  for (let i = n - 1; i >= 0; i--) {
    const date = DayResolver.previous(last, i);
    out.set(date, make(date, n - 1 - i));
  }
  return out;
}

describe('the chart window', () => {
  it(`spans ${CHART_MIN_DAYS} days even when only the day itself was closed`, () => {
    const w = chartWindow('2025-03-04', ['2025-03-04']);
    expect(w).toHaveLength(CHART_MIN_DAYS);
    expect(w[0]).toBe('2025-02-19');
    expect(w.at(-1)).toBe('2025-03-04');
  });

  it('starts at the oldest closed day between the minimum and the maximum', () => {
    const w = chartWindow('2025-03-08', closedDays('2025-03-08', 20).keys());
    expect(w).toHaveLength(20);
    expect(w[0]).toBe('2025-02-17');
  });

  it(`never spans more than ${CHART_MAX_DAYS} days`, () => {
    const w = chartWindow('2025-03-08', closedDays('2025-03-08', 60).keys());
    expect(w).toHaveLength(CHART_MAX_DAYS);
    expect(w.at(-1)).toBe('2025-03-08');
  });
});

describe('the key metric series', () => {
  const withBaseline = (date: string) =>
    reportOf(date, { zscores: { revenue: { z: 1, mean: 20_000, std: 2_000, n: 7 } } });

  it("draws each day's band from the baseline its close-out stored, times the day's threshold", () => {
    const reports = new Map([['2025-03-04', withBaseline('2025-03-04')]]);
    const revenue = metricSeries(['2025-03-03', '2025-03-04'], reports, config).find(
      (s) => s.key === 'revenue',
    )!;
    expect(revenue.points[0]).toMatchObject({ date: '2025-03-03', value: null, mean: null, lower: null });
    // revenueStdThreshold 2.5 by default
    expect(revenue.points[1]).toMatchObject({ value: 20_000, mean: 20_000, lower: 15_000, upper: 25_000 });
  });

  it('follows a threshold override for the day (weekday 2 = Tuesday, 2025-03-04)', () => {
    const tuesdays = parseMonitorConfig({
      overrides: [{ weekdays: [2], thresholds: { revenueStdThreshold: 3 } }],
    });
    const reports = new Map([
      ['2025-03-03', withBaseline('2025-03-03')],
      ['2025-03-04', withBaseline('2025-03-04')],
    ]);
    const revenue = metricSeries(['2025-03-03', '2025-03-04'], reports, tuesdays).find(
      (s) => s.key === 'revenue',
    )!;
    expect(revenue.points.map((p) => [p.lower, p.upper])).toEqual([
      [15_000, 25_000],
      [14_000, 26_000],
    ]);
  });

  it('shows the null client rate against its fixed limit, without a band', () => {
    const reports = new Map([
      ['2025-03-02', reportOf('2025-03-02', { metrics: { null_client_rate: 0.158 } })],
    ]);
    const nulls = metricSeries(['2025-03-02'], reports, config).find((s) => s.key === 'null_client_rate')!;
    expect(nulls.points[0]).toMatchObject({
      value: 0.158,
      limit: 0.05,
      mean: null,
      lower: null,
      upper: null,
    });
  });

  it("marks a day with the most severe unsnoozed alert about the metric, and no other check's", () => {
    const day = reportOf('2025-03-04', {
      alerts: [
        { check: 'event_volume_shift', severity: 'WARNING' },
        { check: 'event_volume_drop', severity: 'CRITICAL' },
        { check: 'low_event_volume', severity: 'CRITICAL', snoozed: true },
        { check: 'aov_anomaly', severity: 'WARNING' },
      ],
    });
    const series = metricSeries(['2025-03-04'], new Map([['2025-03-04', day]]), config);
    const mark = (key: string) => series.find((s) => s.key === key)!.points[0]!.alert;
    expect(mark('event_count')).toEqual({ check: 'event_volume_drop', severity: 'CRITICAL' });
    expect(mark('aov')).toEqual({ check: 'aov_anomaly', severity: 'WARNING' });
    expect(mark('revenue')).toBeNull();

    const snoozedOnly = reportOf('2025-03-04', { alerts: [{ check: 'aov_anomaly', snoozed: true }] });
    const quiet = metricSeries(['2025-03-04'], new Map([['2025-03-04', snoozedOnly]]), config);
    expect(quiet.find((s) => s.key === 'aov')!.points[0]!.alert).toBeNull();
  });
});

describe('funnel and channels against the baseline', () => {
  it("compares the day with the mean of the 7 closed days before it, not the day's own value", () => {
    // Eight days: seven with 10% add-to-cart and Direct 50%, then the day itself.
    const reports = closedDays('2025-03-08', 8, (date, i) =>
      reportOf(date, {
        metrics:
          i < 7
            ? { atc_rate: 0.1, channel_share: { Direct: 0.5, Email: 0.5 } }
            : { atc_rate: 0.02, channel_share: { Direct: 0.9, Affiliate: 0.1 } },
      }),
    );
    const day = reports.get('2025-03-08')!;
    expect(funnelRows(day, reports, config)[0]).toEqual({
      name: 'Added to cart',
      today: 0.02,
      baseline: 0.1,
    });
    const channels = channelRows(day, reports, { ...config, expectedChannels: ['Paid Search'] });
    expect(channels).toEqual([
      { name: 'Direct', today: 0.9, baseline: 0.5 },
      { name: 'Affiliate', today: 0.1, baseline: 0 },
      // Gone today, but in the baseline: still listed, at 0.
      { name: 'Email', today: 0, baseline: 0.5 },
      // Expected, never seen.
      { name: 'Paid Search', today: 0, baseline: 0 },
    ]);
  });

  it('shows the channel baseline the close-out stored, where it stored one', () => {
    const reports = closedDays('2025-03-08', 8, (date) =>
      reportOf(date, { metrics: { channel_share: { Direct: 0.5, Email: 0.5 } } }),
    );
    const day = reports.get('2025-03-08')!;
    day.baselines = { 'channel_share:Direct': { mean: 0.42, std: 0.01, n: 7 }, 'channel_share:Email': null };
    const byName = Object.fromEntries(channelRows(day, reports, config).map((r) => [r.name, r.baseline]));
    expect(byName).toEqual({ Direct: 0.42, Email: null, 'Paid Search': 0 });
  });

  it('has no baseline with fewer closed days before it than the baseline needs', () => {
    const reports = closedDays('2025-03-08', 3);
    expect(funnelRows(reports.get('2025-03-08')!, reports, config).map((r) => r.baseline)).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe('field health', () => {
  it('lists missing expected fields first, then bad values, then renamed ones, under their own name', () => {
    const day = reportOf('2025-03-04', {
      metrics: {
        event_count: 1000,
        missing_fields: { referrer: 1000 },
        field_aliases: { clientId: 990 },
        field_problems: {
          'client_id_null:client_id': 85,
          'alias_used:clientId': 990,
          'revenue_missing:revenue': 2,
        },
      },
    });
    const rows = fieldHealth(day, config);
    expect(rows.slice(0, 3).map((r) => [r.field, r.status])).toEqual([
      ['referrer', 'missing'],
      ['client_id', 'problems'],
      ['revenue', 'problems'],
    ]);
    expect(rows.find((r) => r.field === 'referrer')).toMatchObject({
      expected: true,
      missing: 1000,
      missingShare: 1,
    });
    expect(rows.find((r) => r.field === 'client_id')).toMatchObject({
      aliased: { clientId: 990 },
      problems: { client_id_null: 85 },
    });
    expect(rows.find((r) => r.field === 'revenue')!.expected).toBe(false);
    expect(rows.some((r) => r.field === 'clientId')).toBe(false);
    expect(rows.filter((r) => r.status === 'ok').map((r) => r.field)).toEqual([
      'event_data',
      'event_name',
      'page_url',
      'timestamp',
      'user_agent',
    ]);
  });
});

describe('the day page', () => {
  const hostile = '<img src=x onerror=alert(1)></script>';
  const reports = closedDays('2025-03-04', 10, (date, i) =>
    i === 9
      ? reportOf(date, {
          metrics: { channel_share: { [hostile]: 1 }, null_client_rate: 0.085 },
          overrides: [
            { weekdays: [2], reason: hostile, thresholds: { minDailyConversions: 5 }, intraday: {} },
          ],
          alerts: [
            { check: 'aov_anomaly', severity: 'WARNING', message: 'AOV ($620.75) is 2.2 std below average' },
            { check: 'high_null_client_rate', severity: 'CRITICAL', message: `NULL rate ${hostile}` },
            { check: 'made_up_check', severity: 'INFO', message: 'no playbook for this one' },
          ],
          intraday: [
            {
              check: 'intraday_silence',
              severity: 'CRITICAL',
              event_name: hostile,
              message: `${hostile}: no event for 12 min`,
              since: '2025-03-04T10:48:00.000Z',
              first_seen: '2025-03-04T11:00:00.000Z',
              last_seen: '2025-03-04T13:00:00.000Z',
              snoozed: false,
            },
          ],
        })
      : reportOf(date),
  );
  const html = renderDayPage(
    dayPageModel('2025-03-04', reports, config),
    { index: 'index.html' },
    NO_SCRIPTS,
  );

  it('puts the verdict and the alerts, most severe first, with their playbook, before the charts', () => {
    const order = [...html.matchAll(/data-check="([^"]+)" data-severity="([A-Z]+)"/g)].map(
      (m) => `${m[2]} ${m[1]}`,
    );
    expect(order).toEqual(['CRITICAL high_null_client_rate', 'WARNING aov_anomaly', 'INFO made_up_check']);
    expect(html).toContain('1 critical alert, 1 warning');
    expect(html).toContain('Typically requires a frontend engineering fix');
    expect(html.indexOf('id="verdict-h"')).toBeLessThan(html.indexOf('id="charts-h"'));
  });

  it('names the overrides the day was judged with, escaped', () => {
    expect(html).toContain(
      '<p class="note">Overrides in effect: &lt;img src=x onerror=alert(1)&gt;&lt;/script&gt; (minDailyConversions 5)</p>',
    );
  });

  it("shows the intraday schedule's alerts of the day on a timeline of the day", () => {
    const section = html.slice(
      html.indexOf('id="intraday-h"'),
      html.indexOf('</section>', html.indexOf('id="intraday-h"')),
    );
    expect(section).toContain('<code>intraday_silence</code>');
    expect(section).toContain('10:48–13:00');
    expect(section).toContain('first raised 11:00');
    // 10:48 is 45% into the day; the bar runs to the last run that raised it (13:00)
    expect(section).toContain('class="sev-critical" style="left:45.00%;width:9.17%"');
    expect(html.indexOf('id="intraday-h"')).toBeGreaterThan(html.indexOf('id="charts-h"'));
  });

  it('spells severity out in words, not by colour alone', () => {
    expect(html).toMatch(/badge-critical"><span aria-hidden="true">▲<\/span> CRITICAL</);
    expect(html).toMatch(/badge-warning"><span aria-hidden="true">◆<\/span> WARNING</);
  });

  it('escapes everything that comes from the data, in the markup and in the embedded JSON', () => {
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;');
    const json = html.slice(
      html.indexOf('id="report-data">'),
      html.indexOf('</script>', html.indexOf('id="report-data">')),
    );
    expect(json).toContain('\\u003cimg src=x');
    expect(JSON.parse(json.slice('id="report-data">'.length)).channels[0].name).toBe(hostile);
  });

  it('forbids every request by its content security policy', () => {
    expect(html).toContain("default-src 'none'; script-src 'unsafe-inline'");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it('has a table and a summary in words beside every chart', () => {
    const canvases = html.match(/<canvas [^>]*>/g) ?? [];
    expect(canvases).toHaveLength(7);
    for (const c of canvases)
      expect(c).toMatch(/role="img" aria-labelledby="cap-[a-z_]+" aria-describedby="desc-/);
    expect(html).toContain(
      'Events without a client id from 2025-02-19 to 2025-03-04. On 2025-03-04: 8.5%, alert above 5.0%',
    );
  });
});

describe('a special day', () => {
  it('says how it was judged, and not that the baseline is missing', () => {
    const reports = closedDays('2025-12-25', 10, (date, i) =>
      i === 9
        ? {
            ...reportOf(date),
            baselines: {},
            special_day: { name: 'Christmas', kind: 'holiday', judge: 'skip' as const },
          }
        : reportOf(date),
    );
    const html = renderDayPage(
      dayPageModel('2025-12-25', reports, config),
      { index: 'index.html' },
      NO_SCRIPTS,
    );
    expect(html).toContain('Christmas (holiday): a special day, judged against no baseline (judge: skip)');
    expect(html).not.toContain('No baseline yet');
  });
});

describe('the index page', () => {
  it('lists the days newest first, linking only those with a page', () => {
    const reports = closedDays('2025-03-04', 3);
    const html = renderIndexPage(
      'shop',
      [...reports.values()].map((report) => ({
        report,
        href: report.date === '2025-03-03' ? undefined : `${report.date}.html`,
      })),
      metricSeries([...reports.keys()], reports, config),
      NO_SCRIPTS,
    );
    expect([...html.matchAll(/<tr data-day="([\d-]+)">/g)].map((m) => m[1])).toEqual([
      '2025-03-04',
      '2025-03-03',
      '2025-03-02',
    ]);
    expect(html).toContain('<a href="2025-03-04.html">2025-03-04</a>');
    expect(html).not.toContain('href="2025-03-03.html"');
  });

  it('says how each check behaves: days fired, verdicts, false-positive share, days to quiet', () => {
    const reports = closedDays('2025-03-04', 3);
    const stats = [
      {
        check: 'high_null_client_rate',
        alert_days: 4,
        false_positive: 1,
        incident: 2,
        expected: 0,
        false_positive_share: 0.25,
        mean_days_to_quiet: 2,
      },
    ];
    const html = renderIndexPage(
      'shop',
      [...reports.values()].map((report) => ({ report })),
      metricSeries([...reports.keys()], reports, config),
      NO_SCRIPTS,
      stats,
    );
    const section = html.slice(
      html.indexOf('id="checks-h"'),
      html.indexOf('</section>', html.indexOf('id="checks-h"')),
    );
    expect(section).toContain('<th scope="row">high_null_client_rate</th>');
    expect(section.replace(/\s+/g, ' ')).toMatch(
      /high_null_client_rate<\/th><td class="num">4<\/td><td class="num">1<\/td> <td class="num">25\.0%<\/td><td class="num">2<\/td><td class="num">0<\/td> <td class="num">2 d<\/td>/,
    );
    // without stats, no section
    expect(
      renderIndexPage(
        'shop',
        [...reports.values()].map((report) => ({ report })),
        [],
        NO_SCRIPTS,
      ),
    ).not.toContain('checks-h');
  });
});
