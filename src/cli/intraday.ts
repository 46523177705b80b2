/**
 * `event-monitor intraday --date D --at HH:MM`: the day so far, as of that
 * event time, against the same hours of its baseline days (src/intraday).
 */
import { writeFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { incidentDaysAbout } from '../closeout/checks/evaluate.ts';
import { feedbackByDay, storedReports } from '../closeout/closeout.ts';
import { intradayRulesFor, overridesLine, overridesOn, thresholdsFor } from '../config/day-rules.ts';
import { IntradayNotifier } from '../delivery/notify.ts';
import { UsageError } from '../errors.ts';
import { recordsOf, sightingKey, storedSightingsOf } from '../intraday/alert-log.ts';
import {
  evaluateIntraday,
  INTRADAY_BASELINE_METRICS,
  type IntradayVerdict,
  lookbackOf,
} from '../intraday/evaluate.ts';
import { registerIntradayMetrics } from '../metrics/intraday-metrics.ts';
import { registerScrapeTarget } from '../metrics/scrape-target.ts';
import { startMetricsServer } from '../metrics/server.ts';
import type { MonitorState } from '../state/monitor-state.ts';
import { createRedis } from '../state/redis.ts';
import { sinksOf } from './closeout.ts';
import { type Context, stateOf } from './context.ts';
import { runOnSchedule } from './schedule.ts';

export interface IntradayOptions {
  date: string;
  /** Minutes since local midnight. */
  atMinute: number;
  json?: string;
  text?: boolean;
}

/** The day as of a time of day, from the day's and its lookback's slots in Redis. */
async function judge(
  ctx: Context,
  state: MonitorState,
  date: string,
  atMinute: number,
): Promise<IntradayVerdict> {
  return (await judgeDay(ctx, state, date))(atMinute);
}

/**
 * The day judged at any time of day: its and its lookback's slots, stored
 * reports, intraday records and feedback read once, then judged in memory.
 */
async function judgeDay(
  ctx: Context,
  state: MonitorState,
  date: string,
): Promise<(atMinute: number) => IntradayVerdict> {
  // the day's parameters, as its thresholds: weekday and date overrides included
  const rules = intradayRulesFor(date, ctx.config);
  const history = lookbackOf(date, rules);
  const slots = await state.days.readIntraday([date, ...history]);
  // each day's alerts, the close-out's (once closed) and the intraday schedule's (kept apart, so a day
  // not closed yet counts too), with people's verdicts
  const reports = await storedReports(state, history);
  const intraday = await state.intradayAlerts.read(history);
  const said = feedbackByDay(await state.feedback.read());
  const days = new Map(
    history.map((d) => [
      d,
      {
        alerts: [...(reports.get(d)?.alerts ?? []), ...recordsOf(intraday.get(d) ?? [])],
        feedback: said.get(d) ?? new Map(),
      },
    ]),
  );
  const excludeAlerted = ctx.config.baseline.excludeAlertedDays;
  const leftOut = {
    volume: incidentDaysAbout(days, INTRADAY_BASELINE_METRICS.volume, excludeAlerted),
    nullClient: incidentDaysAbout(days, INTRADAY_BASELINE_METRICS.nullClient, excludeAlerted),
  };
  return (atMinute) =>
    evaluateIntraday({
      leftOut,
      roles: ctx.config.source.mapping.events,
      specialDays: ctx.config.baseline.specialDays,
      snoozed: new Set(ctx.config.snoozes.filter((s) => date <= s.until).map((s) => s.check)),
      date,
      atMinute,
      today: slots.get(date)!,
      history: new Map(history.map((d) => [d, slots.get(d)!])),
      rules,
      // the day's threshold, as the close-out applies it: weekday and date overrides included
      maxNullClientRate: thresholdsFor(date, ctx.config).maxNullClientRate,
      overrides: overridesOn(date, ctx.config.overrides),
      instantOf: (day, minute) => ctx.days.instantOf(day, minute),
    });
}

export interface BackfillResult {
  /** The times judged (HH:MM of the last one), and how many. */
  runs: number;
  lastAt: string | null;
  /** Distinct alerts seen (check and event type), snoozed ones included. */
  alerts: number;
}

/**
 * A past day judged as the schedule would have judged it, every `everyMinutes`
 * from midnight, each run's alerts kept in the day's record (the close-out's
 * intraday section, later baselines) with the time of the run; nothing is
 * sent. For a day the scheduler did not watch: it was down, or the events came
 * late (a replay). Today is judged up to now, never beyond.
 */
export async function intradayBackfill(
  ctx: Context,
  state: MonitorState,
  date: string,
  everyMinutes: number,
  now = Date.now(),
): Promise<BackfillResult> {
  const today = ctx.days.dayOf(now);
  if (date > today) throw new UsageError(`intraday --backfill: ${date} is after today (${today})`);
  const until = date === today ? ctx.days.minuteOfDay(now) : 24 * 60;
  const judgeAt = await judgeDay(ctx, state, date);
  const seen = new Set<string>();
  let runs = 0;
  let lastAt: string | null = null;
  for (let minute = everyMinutes; minute <= until; minute += everyMinutes) {
    const verdict = judgeAt(minute);
    await state.intradayAlerts.record(date, storedSightingsOf(verdict, ctx.days.instantOf(date, minute)));
    for (const a of verdict.alerts) seen.add(sightingKey(a));
    runs++;
    lastAt = verdict.at;
  }
  return { runs, lastAt, alerts: seen.size };
}

/** `intraday --date D --backfill`: the day's record, as the schedule would have kept it. */
export async function intradayBackfillOnce(
  ctx: Context,
  date: string,
  everyMinutes: number,
): Promise<BackfillResult> {
  const redis = createRedis(ctx.env, `event-monitor:intraday:${ctx.namespace}`);
  try {
    const result = await intradayBackfill(ctx, stateOf(ctx, redis), date, everyMinutes);
    process.stdout.write(
      `intraday ${date}: judged ${result.runs} time(s) every ${everyMinutes} min${result.lastAt ? ` up to ${result.lastAt}` : ''}; ${result.alerts} alert(s) kept in the day's record (nothing sent)\n`,
    );
    return result;
  } finally {
    redis.disconnect();
  }
}

export async function intradayOnce(ctx: Context, o: IntradayOptions): Promise<IntradayVerdict> {
  const redis = createRedis(ctx.env, `event-monitor:intraday:${ctx.namespace}`);
  try {
    const verdict = await judge(ctx, stateOf(ctx, redis), o.date, o.atMinute);
    if (o.json) writeFileSync(o.json, `${JSON.stringify(verdict, null, 2)}\n`);
    process.stdout.write(o.text || !o.json ? intradayText(verdict) : '');
    return verdict;
  } finally {
    redis.disconnect();
  }
}

/**
 * The scheduler service: judges the day so far on a cron schedule (on "now",
 * in the monitor's time zone), sends what fires to Alertmanager, Slack and
 * PagerDuty (each that is configured) and resolves what cleared, and serves its own /metrics.
 */
export async function intradaySchedule(ctx: Context, pattern: string): Promise<number> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'em_process_' });
  const metrics = registerIntradayMetrics(registry, ctx.namespace);
  const server = await startMetricsServer(registry, ctx.env.METRICS_HOST, ctx.env.METRICS_PORT);
  const target = registerScrapeTarget(server.port, ctx.namespace, 'intraday');
  const redis = createRedis(ctx.env, `event-monitor:intraday:${ctx.namespace}`);
  const state = stateOf(ctx, redis);
  const delivery = new IntradayNotifier(
    sinksOf(ctx),
    ctx.namespace,
    ctx.config.intraday.alertTtlMinutes,
    ctx.log,
  );

  const run = async () => {
    const now = new Date();
    try {
      const verdict = await judge(
        ctx,
        state,
        ctx.days.dayOf(now.getTime()),
        ctx.days.minuteOfDay(now.getTime()),
      );
      // kept for the day's close-out and later baselines before anyone is told, and the gauges
      // say what the run found: a page never outruns the dashboard or the record
      await state.intradayAlerts.record(verdict.date, storedSightingsOf(verdict, now.getTime()));
      metrics.succeeded(verdict, now);
      await delivery.sync(verdict, now, thresholdsFor(verdict.date, ctx.config).maxNullClientRate);
      ctx.log.info(
        { date: verdict.date, at: verdict.at, alerts: verdict.alerts.length, note: verdict.note },
        'intraday run',
      );
    } catch (err) {
      metrics.failed();
      ctx.log.error(
        { err: (err as Error).message },
        'intraday run failed; the next scheduled run tries again',
      );
    }
  };
  await runOnSchedule(ctx, pattern, 'intraday', run, server.port);
  target?.remove();
  await server.close();
  redis.disconnect();
  return 0;
}

export function intradayText(v: IntradayVerdict): string {
  const head = `intraday ${v.date} as of ${v.at}: ${v.alerts.length} alert(s) against ${v.baseline_days.length} baseline day(s)`;
  return [
    head,
    ...(v.note ? [`  ${v.note}`] : []),
    ...(v.overrides.length ? [`  ${overridesLine(v.overrides)}`] : []),
    ...v.alerts.map(
      (a) =>
        `  ${a.severity.padEnd(8)} ${a.check.padEnd(26)} ${a.message} (since ${a.since})${a.snoozed ? ' [snoozed]' : ''}`,
    ),
    '',
  ].join('\n');
}
