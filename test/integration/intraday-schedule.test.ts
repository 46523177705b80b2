/**
 * `intraday --schedule` against the real Alertmanager, and straight to Slack
 * and PagerDuty (a local server receives their real payloads): page views
 * stop for the last 70 minutes after a week of steady traffic at the same
 * hours; the scheduled run (on "now") pages through Alertmanager, opens the
 * day's PagerDuty incident and posts to Slack once, the gauges say so, and
 * once the missing events arrive the next run resolves all of it.
 *
 * "Now" is whatever the clock says when the test runs; the monitor's time
 * zone is chosen so that it is early afternoon there, so the day's window
 * never crosses midnight whatever the hour of the run.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/closeout/report.ts';
import { activeAlerts } from '../helpers/alertmanager.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  runCli,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { env, produce, type TestSpace, testSpace } from '../helpers/stack.ts';
import { startWebhookSink } from '../helpers/webhook-sink.ts';

const NOW = Date.now();
/** An Etc/GMT zone (no DST) whose local time is about 14:00 now. */
function afternoonZone(): string {
  let offset = 14 - new Date(NOW).getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
const STEP_MS = 20_000;
const OUTAGE_MS = 70 * 60_000;
const DAY_MS = 86_400_000;

/** Page views every 20 s from `from` to `to` (epoch ms). */
function pageViews(from: number, to: number, tag: string): Message[] {
  const out: Message[] = [];
  for (let t = from, i = 0; t < to; t += STEP_MS, i++) {
    const client = `c-${tag}-${i % 300}`;
    out.push({
      key: client,
      timestamp: String(t),
      value: JSON.stringify({
        client_id: client,
        page_url: 'https://puffy.com/',
        referrer: null,
        timestamp: new Date(t).toISOString(),
        event_name: 'page_viewed',
        event_data: null,
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
      }),
    });
  }
  return out;
}

let space: TestSpace;
let scheduler: MonitorProcess;
let port: number;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
const slackTexts = () => sink.on('/slack/').map((r) => JSON.stringify(r.body));
const pages = () =>
  sink.on('/pagerduty/').map(
    (r) =>
      r.body as {
        event_action: string;
        dedup_key: string;
        payload?: { custom_details: { from: string; alerts: { check: string; event_name: string }[] } };
      },
  );

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 3 });
  space.env.MONITOR_TIMEZONE = afternoonZone();
  space.env.ALERTMANAGER_URL = env.ALERTMANAGER_URL;
  sink = await startWebhookSink();
  space.env.SLACK_WEBHOOK_URL = sink.url('/slack/T0/B0/intraday');
  space.env.ALERT_DELIVERY = 'both'; // both paths, to see each sink's payload
  space.env.PAGERDUTY_ROUTING_KEY = 'intraday-routing-key-0123456789';
  space.env.PAGERDUTY_EVENTS_URL = sink.url('/pagerduty/v2/enqueue');
  // the same hours, four hours before now to one after, on each of the seven days before
  const baseline = Array.from({ length: 7 }, (_, d) =>
    pageViews(NOW - (d + 1) * DAY_MS - 4 * 3_600_000, NOW - (d + 1) * DAY_MS + 3_600_000, `d${d + 1}`),
  ).flat();
  // today: the same traffic until 70 minutes ago, then nothing
  await produce(space.topic, [...baseline, ...pageViews(NOW - 4 * 3_600_000, NOW - OUTAGE_MS, 'd0')]);
  expect((await runCli(['consume', '--exit-when-idle', '2'], space.env)).code).toBe(0);
  scheduler = startMonitor(['intraday', '--schedule', '*/2 * * * * *'], space.env);
  port = await metricsPortOf(scheduler);
}, 180_000);
afterAll(async () => {
  if (scheduler.child.exitCode === null) scheduler.kill('SIGKILL');
  await space.cleanup();
  await sink?.close();
});

describe('intraday --schedule', () => {
  it('pages through Alertmanager when page views stop, and the gauges say so', async () => {
    const alerts = await eventually(
      () => activeAlerts(space.namespace),
      (a) => a.some((x) => x.labels.alertname === 'intraday_volume_drop'),
      60_000,
    );
    const drop = alerts.find(
      (a) => a.labels.alertname === 'intraday_volume_drop' && a.labels.event_name === 'page_viewed',
    )!;
    expect(drop.labels).toMatchObject({
      severity: 'critical',
      event_name: 'page_viewed',
      source: 'intraday',
      namespace: space.namespace,
    });
    const metrics = await scrape(port);
    expect(
      metricValue(metrics, 'em_intraday_alerts', {
        check: 'intraday_volume_drop',
        event_name: 'page_viewed',
      }),
    ).toBe(1);
    expect(metricValue(metrics, 'em_intraday_runs_total', { result: 'ok' })).toBeGreaterThan(0);
  });

  it("opens the day's PagerDuty incident and posts to Slack once, however many runs see it", async () => {
    const runs = metricValue(await scrape(port), 'em_intraday_runs_total', { result: 'ok' });
    await eventually(
      () => scrape(port),
      (m) => metricValue(m, 'em_intraday_runs_total', { result: 'ok' }) >= runs + 5,
      60_000,
    );
    const triggers = pages().filter((p) => p.event_action === 'trigger');
    expect(triggers.length).toBeGreaterThan(0);
    const date = (await activeAlerts(space.namespace))[0]!.labels.date;
    expect(new Set(pages().map((p) => p.dedup_key))).toEqual(new Set([`${space.namespace}/${date}`]));
    expect(triggers[0]!.payload!.custom_details.from).toBe('intraday');
    expect(triggers.at(-1)!.payload!.custom_details.alerts).toContainEqual(
      expect.objectContaining({ check: 'intraday_volume_drop', event_name: 'page_viewed' }),
    );
    // announced once, not once per run
    const drop = slackTexts().filter((t) =>
      /intraday_volume_drop.*page_viewed|page_viewed.*intraday_volume_drop/.test(t),
    );
    expect(drop).toHaveLength(1);
    // a trigger only when what fires changed
    const sets = triggers.map((t) =>
      JSON.stringify(t.payload!.custom_details.alerts.map((a) => `${a.check}/${a.event_name}`).sort()),
    );
    for (let i = 1; i < sets.length; i++) expect(sets[i]).not.toBe(sets[i - 1]);
  });

  it('resolves the alert once the missing events arrive', async () => {
    await produce(space.topic, pageViews(NOW - OUTAGE_MS, NOW, 'd0'));
    expect((await runCli(['consume', '--exit-when-idle', '2'], space.env)).code).toBe(0);
    await eventually(
      () => activeAlerts(space.namespace),
      (a) => a.length === 0,
      60_000,
    );
    await eventually(
      () => scrape(port),
      (m) => metricValue(m, 'em_intraday_alerts') === 0,
      30_000,
    );
    // the incident resolved, the all-clear posted
    await eventually(
      async () => pages(),
      (p) => p.at(-1)?.event_action === 'resolve',
      30_000,
    );
    await eventually(
      async () => slackTexts(),
      (t) => t.at(-1)?.includes('intraday alerts cleared') === true,
      30_000,
    );
    scheduler.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
  });

  it('leaves a record of the day: its close-out lists what the runs raised, resolved since or not', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'em-intraday-schedule-')), 'today.json');
    const run = await runCli(['closeout', '--provisional', '--json', file], space.env);
    expect([0, 1], run.output).toContain(run.code);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    const drop = report.intraday.find(
      (a) => a.check === 'intraday_volume_drop' && a.event_name === 'page_viewed',
    );
    expect(drop).toMatchObject({ severity: 'CRITICAL', snoozed: false });
    // began before the first run that raised it; raised by runs of this test, the last before the events came back
    expect(drop!.since < drop!.first_seen).toBe(true);
    expect(drop!.first_seen <= drop!.last_seen).toBe(true);
    expect(Date.parse(drop!.first_seen)).toBeGreaterThanOrEqual(NOW);
    expect(Date.parse(drop!.last_seen)).toBeLessThan(Date.now());
  });
});
