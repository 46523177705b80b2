/**
 * State written by the real consumer from the real export → close-out →
 * reports and notifications: Alertmanager (real) receives the alerts and
 * later resolves them; Slack and PagerDuty payloads reach a local server.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITY_RANK, type Severity } from '../../src/checks/model.ts';
import { lookbackWindow } from '../../src/closeout/baseline.ts';
import { closeOut } from '../../src/closeout/closeout.ts';
import type { Report } from '../../src/closeout/report.ts';
import { textReport } from '../../src/closeout/text-report.ts';
import { notifierOf } from '../../src/delivery/notify.ts';
import { dedupKey } from '../../src/delivery/pagerduty.ts';
import { createLogger } from '../../src/log.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { launchChromium, openReport } from '../helpers/browser.ts';
import { EXPECTED, replayExport, writeSpecialDaysConfig } from '../helpers/export.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { env, produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';
import { startWebhookSink } from '../helpers/webhook-sink.ts';

let space: TestSpace;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
const r = redis();
const reports = new Map<string, Report>();
const days = [...EXPECTED.keys()].sort();

const deps = () => ({
  state: new MonitorState(r, space.namespace),
  config: space.ctx.config,
  timezone: 'UTC',
  log: createLogger('silent'),
  notify: notifierOf(
    {
      alertmanagerUrl: env.ALERTMANAGER_URL,
      slackWebhookUrl: sink.url('/slack/T000/B000/XXXX'),
      pagerduty: {
        routingKey: 'test-routing-key-0123456789abcdef',
        eventsUrl: sink.url('/pagerduty/v2/enqueue'),
      },
    },
    { alertTtlHours: space.ctx.config.delivery.alertTtlHours, log: createLogger('silent') },
  ),
});

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}
const amAlerts = async (filter: string): Promise<AmAlert[]> =>
  (
    await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent(filter)}`)
  ).json() as Promise<AmAlert[]>;

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 6 });
  sink = await startWebhookSink();
  await replayExport(space);
  const consumed = await runCli(['consume', '--exit-when-idle', '3'], space.env);
  expect(consumed.code).toBe(0);
  for (const day of days) reports.set(day, (await closeOut(deps(), day)).report);
});
afterAll(async () => {
  await sink.close();
  r.disconnect();
  await space.cleanup();
});

describe('close-out of the real export', () => {
  it('reads the exact figures the consumer stored', () => {
    for (const day of days) {
      const m = reports.get(day)!.metrics;
      expect(m.event_count).toBe(EXPECTED.get(day)!.rows);
      expect(Math.round(m.revenue * 100)).toBe(EXPECTED.get(day)!.revenueCents);
      expect(Math.round(m.revenue_deduplicated * 100)).toBe(EXPECTED.get(day)!.revenueDedupCents);
      expect(m.duplicate_transactions).toBe(EXPECTED.get(day)!.duplicateTransactions);
    }
  });

  it('computes z-scores once 7 closed days exist, not before', () => {
    expect(reports.get('2025-02-23')!.zscores.revenue).toBeNull();
    expect(reports.get('2025-03-01')!.zscores.revenue).toBeNull(); // 6 days of history
    const z = reports.get('2025-03-02')!.zscores.revenue;
    expect(z?.n).toBe(7);
    const history = days.slice(0, 7).map((d) => reports.get(d)!.metrics.revenue);
    const mean = history.reduce((a, b) => a + b, 0) / 7;
    expect(z?.mean).toBeCloseTo(mean, 6);
  });

  it('writes a text report in the seed layout', () => {
    const text = textReport(reports.get('2025-03-04')!);
    expect(text).toContain('DAILY MONITORING REPORT: 2025-03-04');
    expect(text).toContain('CRITICAL ALERTS:');
    expect(text).toContain('NULL client_id rate (8.5%) exceeds threshold (5.0%)');
    expect(text).toContain('Missing columns: referrer');
    expect(text).toContain('METRICS SUMMARY:');
    expect(text).toMatch(/revenue: 12,415\.00 \(z=-?\d+\.\d\d\)/);
  });
});

describe('special days from config (baseline.specialDays)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'em-special-days-'));
  const config = writeSpecialDaysConfig(dir);
  /** The day's close-out under that config, neither stored nor sent. */
  const provisional = async (day: string) => {
    const file = join(dir, `${day}.json`);
    const run = await runCli(
      ['closeout', '--date', day, '--provisional', '--json', file, '--text', '--fail-on', 'never'],
      { ...space.env, MONITOR_CONFIG_FILE: config },
    );
    expect(run.code, run.output).toBe(0);
    return { report: JSON.parse(readFileSync(file, 'utf8')) as Report, text: run.output };
  };
  const meanRows = (ds: string[]) => ds.reduce((n, d) => n + EXPECTED.get(d)!.rows, 0) / ds.length;

  it('a sale day is judged against the earlier sale days, and its report says so', async () => {
    const { report, text } = await provisional('2025-03-08');
    expect(report.special_day).toEqual({ name: 'Weekend sale', kind: 'promotion', judge: 'own_kind' });
    const b = report.baselines.event_count!;
    expect(b).toMatchObject({ season: 'same_kind', n: 3 });
    expect(b.mean).toBeCloseTo(meanRows(['2025-02-23', '2025-03-01', '2025-03-02']), 6);
    expect(text).toContain(
      'Weekend sale (promotion): a special day, judged against earlier promotion days only',
    );
    expect(text).toMatch(/event_count: [\d,.]+ \(z=-?\d+\.\d\d, against the last 3 promotion days\)/);
  });

  it('a day to skip is judged against no baseline, and says so', async () => {
    const { report, text } = await provisional('2025-03-06');
    expect(report.special_day).toEqual({ name: 'Staff day', kind: 'holiday', judge: 'skip' });
    expect(Object.values(report.baselines).every((b) => b === null)).toBe(true);
    expect(Object.values(report.zscores).every((z) => z === null)).toBe(true);
    expect(text).toContain('Staff day (holiday): a special day, judged against no baseline (judge: skip)');
  });

  it('an ordinary day leaves the special days out of its baselines, and days further back take their place', async () => {
    const { report } = await provisional('2025-03-07');
    expect(report.special_day).toBeUndefined();
    const b = report.baselines.event_count!;
    expect(b.excluded).toEqual(
      expect.arrayContaining([
        { day: '2025-03-06', check: 'Staff day', reason: 'special_day' },
        { day: '2025-03-02', check: 'Weekend sale', reason: 'special_day' },
        { day: '2025-03-01', check: 'Weekend sale', reason: 'special_day' },
      ]),
    );
    const out = new Set(b.excluded!.map((e) => e.day));
    const used = lookbackWindow('2025-03-07', { days: 7, lookbackDays: 14, minDays: 7 })
      .filter((d) => EXPECTED.has(d) && !out.has(d))
      .slice(0, 7);
    expect(b.n).toBe(7);
    expect(b.mean).toBeCloseTo(meanRows(used), 6);
    // the stored report, judged without the windows, took them in
    expect(reports.get('2025-03-07')!.baselines.event_count!.excluded ?? []).not.toContainEqual(
      expect.objectContaining({ reason: 'special_day' }),
    );
  });
});

describe('overrides (config overrides)', () => {
  it("a day's override changes its verdict, and its report names it in JSON and text", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-overrides-'));
    const config = join(dir, 'monitor.yaml');
    // 2025-03-04 is a Tuesday: its close-out pages on an 8.5% null client rate against 5%
    writeFileSync(
      config,
      'overrides:\n  - { weekdays: [2], reason: consent banner test, thresholds: { maxNullClientRate: 0.1 } }\n  - { weekdays: [3], reason: not this day, thresholds: { maxNullClientRate: 0.01 } }\n',
    );
    const file = join(dir, 'report.json');
    const run = await runCli(
      ['closeout', '--date', '2025-03-04', '--provisional', '--json', file, '--text', '--fail-on', 'never'],
      { ...space.env, MONITOR_CONFIG_FILE: config },
    );
    expect(run.code, run.output).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    expect(report.overrides).toEqual([
      { weekdays: [2], reason: 'consent banner test', thresholds: { maxNullClientRate: 0.1 }, intraday: {} },
    ]);
    expect(reports.get('2025-03-04')!.overrides).toEqual([]);
    expect(reports.get('2025-03-04')!.alerts.map((a) => a.check)).toContain('high_null_client_rate');
    expect(report.alerts.map((a) => a.check)).not.toContain('high_null_client_rate');
    expect(run.output).toContain('Overrides in effect: consent banner test (maxNullClientRate 0.1)');
  });
});

describe('the HTML report (closeout --html), opened in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'em-html-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the day and the index, self-contained: the page requests nothing', async () => {
    const run = await runCli(
      ['closeout', '--date', '2025-03-04', '--html', dir, '--fail-on', 'never'],
      space.env,
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`HTML report: ${join(dir, '2025-03-04.html')}`);
    expect(readdirSync(dir).sort()).toEqual(['2025-03-04.html', 'index.html']);

    const seen = await openReport(browser, join(dir, '2025-03-04.html'), { name: 'closeout-2025-03-04' });
    expect(seen.requests).toEqual([seen.url]);
    expect(seen.errors).toEqual([]);
  });

  it('draws every chart, and lists the alerts with their playbook, most severe first', async () => {
    const seen = await openReport(browser, join(dir, '2025-03-04.html'), { name: 'closeout-2025-03-04' });
    expect(seen.chartsDrawn).toBe(7);
    expect(seen.charts.map((c) => c.name).sort()).toEqual(
      ['aov', 'channels', 'conversions', 'event_count', 'funnel', 'null_client_rate', 'revenue'].sort(),
    );
    for (const c of seen.charts) {
      expect(c.width, c.name).toBeGreaterThan(200);
      // The series itself (line and points, or bars) in its colour, not only axes and grid.
      expect(c.marks.VALUE, c.name).toBeGreaterThan(300);
    }
    const stored = reports.get('2025-03-04')!.alerts;
    expect(seen.alerts.map((a) => a.check).sort()).toEqual(stored.map((a) => a.check).sort());
    const ranks = seen.alerts.map((a) => SEVERITY_RANK[a.severity as Severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    const nulls = seen.alerts.find((a) => a.check === 'high_null_client_rate')!;
    expect(nulls.text).toContain('CRITICAL');
    expect(nulls.text).toContain('NULL client_id rate (8.5%) exceeds threshold (5.0%)');
    expect(nulls.text).toContain('Typically requires a frontend engineering fix');
  });

  it('passes an accessibility audit (axe-core, WCAG 2.1 A and AA), the index too', async () => {
    for (const page of ['2025-03-04.html', 'index.html']) {
      const seen = await openReport(browser, join(dir, page), {
        name: `closeout-audit-${page}`,
        audit: true,
      });
      expect(seen.violations, page).toEqual([]);
    }
  });

  it('reads on a phone without sideways scrolling, and passes the audit there too', async () => {
    const seen = await openReport(browser, join(dir, '2025-03-04.html'), {
      name: 'closeout-2025-03-04-phone',
      width: 390,
      height: 844,
      audit: true,
    });
    expect(seen.scrollsSideways).toBe(false);
    expect(seen.violations).toEqual([]);
    expect(seen.chartsDrawn).toBe(7);
    for (const c of seen.charts) expect(c.painted, c.name).toBeGreaterThan(0);
  });

  it('links the index to the day, with every closed day listed', async () => {
    const seen = await openReport(browser, join(dir, 'index.html'), { name: 'closeout-index' });
    expect(seen.requests).toEqual([seen.url]);
    expect(seen.errors).toEqual([]);
    expect(seen.chartsDrawn).toBe(5);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<a href="2025-03-04.html">2025-03-04</a>');
    for (const day of days) expect(html).toContain(`<tr data-day="${day}">`);
  });
});

describe('notifications', () => {
  it('posts unsnoozed alerts to Alertmanager with labels, a description and a runbook_url', async () => {
    const list = await amAlerts(`namespace="${space.namespace}"`);
    const nullRate = list.find(
      (a) => a.labels.alertname === 'high_null_client_rate' && a.labels.date === '2025-03-02',
    );
    expect(nullRate?.labels).toMatchObject({
      severity: 'critical',
      check: 'high_null_client_rate',
      namespace: space.namespace,
    });
    expect(nullRate?.annotations.summary).toContain('15.8%');
    expect(nullRate?.annotations.description).toContain('cookie consent');
    expect(nullRate?.annotations.runbook_url).toBe(
      'http://localhost:8088/docs/runbooks.md#high_null_client_rate',
    );
    expect(nullRate?.status.state).toBe('active');
  });

  it('sends one consolidated Slack message per day with alerts, in the incoming-webhook shape', () => {
    const slack = sink.on('/slack/');
    const daysWithAlerts = [...reports.values()].filter((rep) => rep.alerts.some((a) => !a.snoozed)).length;
    expect(slack).toHaveLength(daysWithAlerts);
    const message = slack.find((m) => (m.body as { text: string }).text.includes('2025-03-04'))?.body as {
      text: string;
      blocks: { type: string }[];
    };
    expect(message.text).toMatch(/^event-monitor \S+ 2025-03-04: 2 critical, \d+ warning$/);
    expect(message.blocks[0]?.type).toBe('header');
    expect(JSON.stringify(message.blocks)).toContain('missing_columns');
  });

  it('opens one PagerDuty incident per day with critical alerts (Events API v2), every critical alert in it', () => {
    const events = sink.on('/pagerduty/').map(
      (e) =>
        e.body as Record<string, unknown> & {
          payload: Record<string, unknown> & { custom_details: { alerts: { check: string }[] } };
        },
    );
    const critical = [...reports.values()]
      .map((rep) => ({
        date: rep.date,
        checks: rep.alerts.filter((a) => a.severity === 'CRITICAL' && !a.snoozed).map((a) => a.check),
      }))
      .filter((d) => d.checks.length);
    expect(events.map((e) => e.dedup_key)).toEqual(critical.map((d) => dedupKey(space.namespace, d.date)));
    for (const [i, e] of events.entries())
      expect(e.payload.custom_details.alerts.map((a) => a.check)).toEqual(critical[i]!.checks);
    const dup = events.find((e) => e.dedup_key === dedupKey(space.namespace, '2025-02-26'));
    expect(dup).toMatchObject({ routing_key: 'test-routing-key-0123456789abcdef', event_action: 'trigger' });
    expect(dup?.payload).toMatchObject({ source: 'event-monitor', severity: 'critical' });
    expect(dup?.payload.custom_details.alerts).toContainEqual(
      expect.objectContaining({
        check: 'duplicate_transactions',
        runbook: expect.stringContaining('double-submit'),
      }),
    );
    expect(typeof dup?.payload.summary).toBe('string');
    expect(Date.parse(String(dup?.payload.timestamp))).not.toBeNaN();
  });

  it('a re-run gives the same report and sends nothing new', async () => {
    const before = sink.received.length;
    const again = await closeOut(deps(), '2025-03-02');
    expect(again.reused).toBe(true);
    expect(again.report).toEqual(reports.get('2025-03-02'));
    expect(sink.received.length).toBe(before);
  });

  it('late events and --rerun: reports what changed, resolves what stopped firing', async () => {
    const day = '2025-03-03';
    const late: Message[] = Array.from({ length: 3100 }, (_, i) => ({
      key: `late-${i}`,
      value: JSON.stringify({
        client_id: `late-${i}`,
        page_url: 'https://puffy.com/',
        referrer: null,
        timestamp: `${day}T12:00:00.000Z`,
        event_name: 'page_viewed',
        event_data: null,
        user_agent: 'Mozilla/5.0',
      }),
    }));
    await produce(space.topic, late);
    expect((await runCli(['consume', '--exit-when-idle', '3'], space.env)).code).toBe(0);

    const pagesBefore = sink.on('/pagerduty/').length;
    const rerun = await closeOut(deps(), day, { rerun: true });
    expect(rerun.report.metrics.late_events).toBe(3100);
    expect(rerun.report.metrics.event_count).toBe(EXPECTED.get(day)!.rows + 3100);
    expect(rerun.report.changes?.alerts_removed).toContain('high_null_client_rate');
    expect(rerun.report.changes?.metrics.event_count).toEqual({
      before: EXPECTED.get(day)!.rows,
      after: EXPECTED.get(day)!.rows + 3100,
    });

    // the day's incident follows: what still fires CRITICAL is sent again under the same key, or it is resolved
    const stillCritical = rerun.report.alerts
      .filter((a) => a.severity === 'CRITICAL' && !a.snoozed)
      .map((a) => a.check);
    const sent = sink
      .on('/pagerduty/')
      .slice(pagesBefore)
      .map(
        (e) =>
          e.body as {
            event_action: string;
            dedup_key: string;
            payload?: { custom_details: { alerts: { check: string }[] } };
          },
      );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.dedup_key).toBe(dedupKey(space.namespace, day));
    if (stillCritical.length) {
      expect(sent[0]!.event_action).toBe('trigger');
      expect(sent[0]!.payload!.custom_details.alerts.map((a) => a.check)).toEqual(stillCritical);
    } else expect(sent[0]!.event_action).toBe('resolve');
    const am = await amAlerts(`namespace="${space.namespace}"`);
    expect(
      am.find((a) => a.labels.alertname === 'high_null_client_rate' && a.labels.date === day),
    ).toBeUndefined(); // resolved: no longer active
    expect(
      am.find((a) => a.labels.alertname === 'high_null_client_rate' && a.labels.date === '2025-03-02'),
    ).toBeDefined();
  });
});
