/**
 * `event-monitor closeout`: one day now, or every day on a schedule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Cron } from 'croner';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Severity } from '../closeout/checks/declaration.ts';
import { type CloseoutResult, closeOut, type Notifier, storedReports } from '../closeout/closeout.ts';
import { writeHtmlReports } from '../closeout/html/write-html.ts';
import { failsAt } from '../closeout/report.ts';
import { compactReport, textReport } from '../closeout/text-report.ts';
import { readSecret } from '../config/env.ts';
import { notifierOf, type Sinks } from '../delivery/notify.ts';
import { registerScrapeTarget } from '../metrics/scrape-target.ts';
import { startMetricsServer } from '../metrics/server.ts';
import { createRedis } from '../state/redis.ts';
import { type Context, stateOf } from './context.ts';

export interface CloseoutCliOptions {
  date?: string;
  json?: string;
  text?: boolean | string;
  failOn: Severity | 'never';
  rerun?: boolean;
  /** A report on today or a future day, neither stored nor sent. */
  provisional?: boolean;
  /** Folder for the day's HTML page and the index. */
  html?: string;
  quiet?: boolean;
}

export function sinksOf(ctx: Context): Sinks {
  const { env } = ctx;
  const routingKey = readSecret(env.PAGERDUTY_ROUTING_KEY, env.PAGERDUTY_ROUTING_KEY_FILE);
  return {
    alertmanagerUrl: env.ALERTMANAGER_URL,
    slackWebhookUrl: readSecret(env.SLACK_WEBHOOK_URL, env.SLACK_WEBHOOK_URL_FILE),
    pagerduty: routingKey ? { routingKey, eventsUrl: env.PAGERDUTY_EVENTS_URL } : undefined,
  };
}

/** The configured sinks as the close-out's notifier. */
export const notifierFor = (ctx: Context): Notifier =>
  notifierOf(sinksOf(ctx), { alertTtlHours: ctx.config.delivery.alertTtlHours, log: ctx.log });

/** Close out one day; returns the process exit code (1 when an alert at or above --fail-on fired). */
export async function closeoutOnce(
  ctx: Context,
  o: CloseoutCliOptions,
): Promise<{ code: number; result: CloseoutResult }> {
  const redis = createRedis(ctx.env, `event-monitor:closeout:${ctx.namespace}`);
  try {
    const day = o.date ?? ctx.days.yesterday();
    const state = stateOf(ctx, redis);
    const result = await closeOut(
      {
        state,
        config: ctx.config,
        timezone: ctx.days.timeZone,
        notify: notifierFor(ctx),
        log: ctx.log,
      },
      day,
      { rerun: o.rerun ?? false, provisional: o.provisional ?? false },
    );
    if (result.provisional && !o.quiet) {
      process.stdout.write(`PROVISIONAL: ${day} is not over; this report is neither stored nor sent\n`);
    }
    writeOutputs(result, o);
    if (o.html && !result.provisional) {
      const { pages } = await writeHtmlReports(state, ctx.config, o.html, [day]);
      if (!o.quiet) process.stdout.write(`HTML report: ${pages[0]}\n`);
    }
    return { code: failsAt(result.report, o.failOn) ? 1 : 0, result };
  } finally {
    redis.disconnect();
  }
}

function writeOutputs({ report }: CloseoutResult, o: CloseoutCliOptions) {
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (typeof o.text === 'string') {
    mkdirSync(dirname(o.text), { recursive: true });
    writeFileSync(o.text, textReport(report));
  }
  if (o.quiet) return;
  if (o.text === true) process.stdout.write(textReport(report));
  else if (!o.json || typeof o.text !== 'string') process.stdout.write(`${compactReport(report)}\n`);
}

/** The scheduler service: closes out yesterday on a cron schedule and serves its own /metrics. */
export async function closeoutSchedule(ctx: Context, pattern: string, html?: string): Promise<number> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'em_process_' });
  const labels = { namespace: ctx.namespace };
  const runs = new Counter({
    name: 'em_closeout_runs_total',
    help: 'Close-out runs by result',
    labelNames: ['namespace', 'result'],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'em_closeout_alerts_total',
    help: 'Alerts raised by close-outs, by check and severity',
    labelNames: ['namespace', 'check', 'severity'],
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'em_closeout_duration_seconds',
    help: 'Duration of the last close-out',
    labelNames: ['namespace'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'em_closeout_last_success_timestamp_seconds',
    help: 'When the last close-out succeeded',
    labelNames: ['namespace'],
    registers: [registry],
  });
  const historyRedis = registerHistoryGauges(registry, ctx);
  const server = await startMetricsServer(registry, ctx.env.METRICS_HOST, ctx.env.METRICS_PORT);
  const target = registerScrapeTarget(server.port, ctx.namespace, 'closeout');

  const run = async () => {
    try {
      const { result } = await closeoutOnce(ctx, { failOn: 'never', quiet: true, ...(html ? { html } : {}) });
      runs.inc({ ...labels, result: 'ok' });
      for (const a of result.report.alerts)
        if (!a.snoozed) alerts.inc({ ...labels, check: a.check, severity: a.severity });
      duration.set(labels, result.durationMs / 1000);
      lastSuccess.set(labels, Date.now() / 1000);
    } catch (err) {
      runs.inc({ ...labels, result: 'error' });
      ctx.log.error({ err: (err as Error).message }, 'close-out failed; the next scheduled run tries again');
    }
  };
  const job = new Cron(pattern, { timezone: ctx.days.timeZone, protect: true }, run);
  ctx.log.info(
    {
      schedule: pattern,
      timezone: ctx.days.timeZone,
      next: job.nextRun()?.toISOString(),
      metricsPort: server.port,
    },
    'close-out scheduled',
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      job.stop();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  target?.remove();
  await server.close();
  historyRedis.disconnect();
  return 0;
}

/** The 14 latest closed days, read from their stored reports at scrape time: the close-out history dashboard. */
function registerHistoryGauges(registry: Registry, ctx: Context) {
  const redis = createRedis(ctx.env, `event-monitor:closeout-history:${ctx.namespace}`);
  const state = stateOf(ctx, redis);
  const namespace = ctx.namespace;
  const recent = async () => {
    return [...(await storedReports(state, await state.recentClosedDays(14))).values()];
  };
  new Gauge({
    name: 'em_closeout_day_alerts',
    help: 'Unsnoozed alerts of each of the last 14 closed days (1 per alert), by date, check and severity',
    labelNames: ['namespace', 'date', 'check', 'severity'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await recent()) {
        for (const a of r.alerts)
          if (!a.snoozed) this.set({ namespace, date: r.date, check: a.check, severity: a.severity }, 1);
      }
    },
  });
  new Gauge({
    name: 'em_closeout_channel_share_baseline',
    help: "Each channel's share of clients, averaged over the 7 latest closed days: the dashboards' baseline",
    labelNames: ['namespace', 'channel'],
    registers: [registry],
    async collect() {
      this.reset();
      const last7 = (await recent()).sort((a, b) => b.date.localeCompare(a.date)).slice(0, 7);
      const channels = new Set(last7.flatMap((r) => Object.keys(r.metrics.channel_share)));
      for (const channel of channels) {
        const mean =
          last7.reduce((sum, r) => sum + (r.metrics.channel_share[channel] ?? 0), 0) / last7.length;
        this.set({ namespace, channel }, mean);
      }
    },
  });
  new Gauge({
    name: 'em_closeout_day_revenue',
    help: 'Revenue as tracked of each of the last 14 closed days',
    labelNames: ['namespace', 'date'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await recent()) this.set({ namespace, date: r.date }, r.metrics.revenue);
    },
  });
  return redis;
}
