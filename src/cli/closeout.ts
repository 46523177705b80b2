/**
 * `event-monitor closeout`: one day now, or every day on a schedule.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Cron } from 'croner';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Severity } from '../checks/model.ts';
import { missedCloseouts } from '../closeout/catch-up.ts';
import { type CloseoutDeps, type CloseoutResult, closeOut, type Notifier } from '../closeout/closeout.ts';
import { writeHtmlReports } from '../closeout/html/write-html.ts';
import { failsAt } from '../closeout/report.ts';
import { compactReport, textReport } from '../closeout/text-report.ts';
import { readSecret } from '../config/env.ts';
import { notifierOf, type Sinks } from '../delivery/notify.ts';
import { registerCloseoutMetrics } from '../metrics/closeout-metrics.ts';
import { registerScrapeTarget } from '../metrics/scrape-target.ts';
import { startMetricsServer } from '../metrics/server.ts';
import type { MonitorState } from '../state/monitor-state.ts';
import type { RedisClient } from '../state/redis.ts';
import { createRedis } from '../state/redis.ts';
import { type Context, stateOf } from './context.ts';
import { runOnSchedule } from './schedule.ts';

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

/**
 * The sinks alerts go to, by ALERT_DELIVERY: one path unless `both` is asked
 * for, so that Slack never gets a message and PagerDuty an incident twice.
 */
export function sinksOf(ctx: Context): Sinks {
  const { env } = ctx;
  const routingKey = readSecret(env.PAGERDUTY_ROUTING_KEY, env.PAGERDUTY_ROUTING_KEY_FILE);
  const slackWebhookUrl = readSecret(env.SLACK_WEBHOOK_URL, env.SLACK_WEBHOOK_URL_FILE);
  const direct = slackWebhookUrl !== undefined || routingKey !== undefined;
  const mode = env.ALERT_DELIVERY;
  const viaAlertmanager = mode !== 'direct' && env.ALERTMANAGER_URL !== undefined;
  const directToo = mode === 'both' || mode === 'direct' || !viaAlertmanager;
  if (direct && viaAlertmanager && !directToo) {
    ctx.log.warn(
      'Slack or PagerDuty is configured beside Alertmanager: alerts go through Alertmanager only (ALERT_DELIVERY=both sends them both ways)',
    );
  }
  return {
    alertmanagerUrl: viaAlertmanager ? env.ALERTMANAGER_URL : undefined,
    runbookBaseUrl: env.RUNBOOK_BASE_URL,
    slackWebhookUrl: directToo ? slackWebhookUrl : undefined,
    pagerduty: directToo && routingKey ? { routingKey, eventsUrl: env.PAGERDUTY_EVENTS_URL } : undefined,
  };
}

/** The configured sinks as the close-out's notifier. */
export const notifierFor = (ctx: Context): Notifier =>
  notifierOf(sinksOf(ctx), { alertTtlHours: ctx.config.delivery.alertTtlHours, log: ctx.log });

/** What the close-out needs, from the context: config, time zone, delivery, the plan's version. */
export const closeoutDepsOf = (ctx: Context, state: MonitorState): CloseoutDeps => ({
  state,
  config: ctx.config,
  timezone: ctx.days.timeZone,
  notify: notifierFor(ctx),
  log: ctx.log,
  planVersion: ctx.plan?.version ?? null,
});

/** Close out one day; returns the process exit code (1 when an alert at or above --fail-on fired). */
export async function closeoutOnce(
  ctx: Context,
  o: CloseoutCliOptions,
): Promise<{ code: number; result: CloseoutResult }> {
  const redis = createRedis(ctx.env, `event-monitor:closeout:${ctx.namespace}`);
  try {
    // a provisional report is of the day under way unless a day is named
    const day = o.date ?? (o.provisional ? ctx.days.dayOf(Date.now()) : ctx.days.yesterday());
    const state = stateOf(ctx, redis);
    const result = await closeOut(closeoutDepsOf(ctx, state), day, {
      rerun: o.rerun ?? false,
      provisional: o.provisional ?? false,
    });
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

/** A scheduler restart catches up this many days at most (see closeout/catch-up.ts). */
const CATCH_UP_MAX_DAYS = 7;

/** The days whose scheduled close-out did not happen (see closeout/catch-up.ts). */
async function missedOf(ctx: Context, redis: RedisClient, pattern: string): Promise<string[]> {
  const now = Date.now();
  const today = ctx.days.dayOf(now);
  // the first run in the last 24 hours, if it fell today and has passed
  const recent = new Cron(pattern, { timezone: ctx.days.timeZone }).nextRun(new Date(now - 86_400_000));
  const todaysRunPassed =
    recent !== null && recent.getTime() <= now && ctx.days.dayOf(recent.getTime()) === today;
  const [lastClosed] = await stateOf(ctx, redis).archive.recentClosedDays(1);
  const missed = missedCloseouts({
    lastClosed: lastClosed ?? null,
    today,
    todaysRunPassed,
    maxDays: Math.min(CATCH_UP_MAX_DAYS, ctx.config.ingest.stateTtlDays - 1),
  });
  if (missed.tooFarBack) {
    ctx.log.warn(
      { lastClosed, maxDays: CATCH_UP_MAX_DAYS },
      'the last close-out is too far back to catch up at start; run closeout --date DAY for the days needed',
    );
  }
  return missed.days;
}

/**
 * The scheduler service: closes out yesterday on a cron schedule, and at start
 * every day it missed while down; serves its own /metrics.
 */
export async function closeoutSchedule(ctx: Context, pattern: string, html?: string): Promise<number> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'em_process_' });
  const historyRedis = createRedis(ctx.env, `event-monitor:closeout-history:${ctx.namespace}`);
  const metrics = registerCloseoutMetrics(registry, stateOf(ctx, historyRedis));
  const server = await startMetricsServer(registry, ctx.env.METRICS_HOST, ctx.env.METRICS_PORT);
  const target = registerScrapeTarget(server.port, ctx.namespace, 'closeout');

  const run = async (date?: string) => {
    try {
      const { result } = await closeoutOnce(ctx, {
        failOn: 'never',
        quiet: true,
        ...(html ? { html } : {}),
        ...(date ? { date } : {}),
      });
      metrics.succeeded(result);
    } catch (err) {
      metrics.failed();
      ctx.log.error({ err: (err as Error).message }, 'close-out failed; the next scheduled run tries again');
    }
  };
  // what the schedule missed while this service was down, oldest first
  const missed = await missedOf(ctx, historyRedis, pattern).catch((err: Error) => {
    ctx.log.warn({ err: err.message }, 'could not tell which close-outs were missed; the schedule goes on');
    return [];
  });
  if (missed.length)
    ctx.log.info({ days: missed }, 'catching up close-outs missed while the scheduler was down');
  for (const day of missed) await run(day);
  await runOnSchedule(ctx, pattern, 'close-out', () => run(), server.port);
  target?.remove();
  await server.close();
  historyRedis.disconnect();
  return 0;
}
