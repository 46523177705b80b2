/**
 * `intraday --schedule` against the real Alertmanager: page views stop for
 * the last 70 minutes after a week of steady traffic at the same hours; the
 * scheduled run (on "now") pages through Alertmanager, the gauges say so,
 * and once the missing events arrive the next run resolves the alert.
 *
 * "Now" is whatever the clock says when the test runs; the monitor's time
 * zone is chosen so that it is early afternoon there, so the day's window
 * never crosses midnight whatever the hour of the run.
 */
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string };
}
const activeAlerts = async (namespace: string) =>
  (
    (await (
      await fetch(
        `${env.ALERTMANAGER_URL}/api/v2/alerts?active=true&filter=${encodeURIComponent(`namespace="${namespace}"`)}`,
      )
    ).json()) as AmAlert[]
  ).filter((a) => a.status.state === 'active');

let space: TestSpace;
let scheduler: MonitorProcess;
let port: number;

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 3 });
  space.env.MONITOR_TIMEZONE = afternoonZone();
  space.env.ALERTMANAGER_URL = env.ALERTMANAGER_URL;
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
});

describe('intraday --schedule', () => {
  it('pages through Alertmanager when page views stop, and the gauges say so', async () => {
    const alerts = await eventually(
      () => activeAlerts(space.namespace),
      (a) => a.some((x) => x.labels.alertname === 'intraday_volume_drop'),
      60_000,
    );
    const drop = alerts.find((a) => a.labels.alertname === 'intraday_volume_drop')!;
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
    scheduler.kill('SIGTERM');
    expect(await scheduler.exited).toBe(0);
  });
});
