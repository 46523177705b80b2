/**
 * Stored reports are read in the current shape: one of an earlier version is
 * upgraded on read, so a re-run of a day closed before an upgrade sends
 * nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { metricValue } from '../../../src/closeout/checks/metric-refs.ts';
import { DayMetricsSchema } from '../../../src/closeout/day-metrics.ts';
import { renderDayPage } from '../../../src/closeout/html/day-page.ts';
import { dayPageModel } from '../../../src/closeout/html/page-model.ts';
import { REPORT_VERSION, StoredReportSchema } from '../../../src/closeout/report.ts';
import { textReport } from '../../../src/closeout/text-report.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { reportOf } from '../../helpers/reports.ts';

/** A report as version 1 stored it: Slack's memory a flag. */
function version1(slack: boolean) {
  const r = reportOf('2025-03-04', {
    alerts: [
      { check: 'no_purchases', severity: 'CRITICAL' },
      { check: 'bot_spike', severity: 'WARNING' },
      { check: 'duplicate_transactions', severity: 'CRITICAL', snoozed: true },
      { check: 'contract_new_violation', severity: 'INFO' },
    ],
  });
  return {
    ...r,
    version: 1,
    notified: {
      alertmanager: [{ check: 'no_purchases', severity: 'CRITICAL' }],
      slack,
      pagerduty: ['no_purchases'],
    },
  };
}

describe('stored reports', () => {
  it('version 1, announced: the unsnoozed WARNING and CRITICAL alerts count as announced to Slack', () => {
    const r = StoredReportSchema.parse(version1(true));
    expect(r.version).toBe(REPORT_VERSION);
    expect(r.notified.slack).toEqual(['no_purchases', 'bot_spike']);
    expect(r.notified.alertmanager).toEqual([
      { check: 'no_purchases', severity: 'CRITICAL', dimension: null },
    ]);
    expect(r.notified.pagerduty).toEqual(['no_purchases']);
  });

  it('version 1, not announced yet: nothing counts as announced', () => {
    expect(StoredReportSchema.parse(version1(false)).notified.slack).toEqual([]);
  });

  it('the current version reads as it was written', () => {
    const r = reportOf('2025-03-05');
    expect(StoredReportSchema.parse(r)).toEqual(r);
  });

  it('a report stored before a metric or section existed reads it as not measured (null) or empty, in the current shape', () => {
    const r = reportOf('2025-03-05', { metrics: { role_events: { pageView: 3700 }, currency: 'EUR' } });
    const {
      bot_share: _bots,
      role_events: _roles,
      currency: _currency,
      sessions: _sessions,
      ...older
    } = r.metrics;
    const { overrides: _overrides, intraday: _intraday, gaps: _gaps, ...stored } = r;
    const read = StoredReportSchema.parse({ ...stored, metrics: older });
    expect(Object.keys(read.metrics).sort()).toEqual(Object.keys(DayMetricsSchema.shape).sort());
    expect(read.metrics).toMatchObject({
      bot_share: null,
      role_events: null,
      currency: null,
      sessions: null,
    });
    expect(read).toMatchObject({ overrides: [], intraday: [], gaps: [] });
    // what was not measured is not judged, and the reports say n/a or leave it out
    expect(metricValue(read.metrics, 'bot_share')).toBeNull();
    expect(metricValue(read.metrics, 'page_views')).toBe(3800); // the flat export's page_viewed, as before roles
    expect(textReport(read)).not.toContain('sessions:');
  });

  it('an unknown version is refused, not guessed at', () => {
    expect(StoredReportSchema.safeParse({ ...reportOf('2025-03-05'), version: 99 }).success).toBe(false);
  });
});

describe('a day judged against the same weekday', () => {
  // 2025-03-16 is a Sunday
  const seasonal = {
    ...reportOf('2025-03-16'),
    zscores: {
      revenue: { z: -12.3, mean: 9100, std: 50, n: 8 },
      aov: null,
      conversions: null,
      event_count: null,
    },
    baselines: { revenue: { mean: 9100, std: 50, n: 8, season: 'same_weekday' as const } },
  };

  it('says so in the text report', () => {
    expect(textReport(seasonal)).toContain('(z=-12.30, against the last 8 Sundays)');
    expect(textReport(reportOf('2025-03-16'))).not.toContain('Sundays');
  });

  it('says so on the HTML page', () => {
    const reports = new Map([['2025-03-16', seasonal]]);
    const html = renderDayPage(
      dayPageModel('2025-03-16', reports, parseMonitorConfig({})),
      { index: 'index.html' },
      { scripts: [] },
    );
    expect(html).toContain('Judged against the same weekday, the last Sundays closed: revenue (8).');
  });
});
