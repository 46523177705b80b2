/**
 * Closes out one day from Redis alone: the day's snapshot and the stored
 * summaries of earlier days. Its cost does not grow with the day's events.
 * Stores the report as the day's summary (later baselines read it), then
 * notifies, never twice for the same alert.
 */

import { isCalendarDate } from '../calendar/calendar-date.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import { intradayRulesFor, overridesOn, thresholdsFor } from '../config/day-rules.ts';
import type { MonitorConfig } from '../config/monitor-config.ts';
import { specialDaysOf } from '../config/special-days.ts';
import { UsageError } from '../errors.ts';
import { recordsOf } from '../intraday/alert-log.ts';
import { baselineDaysOf, lookbackOf } from '../intraday/evaluate.ts';
import { type DayGap, dayGaps } from '../intraday/gaps.ts';
import type { Logger } from '../log.ts';
import type { FeedbackEntry } from '../state/feedback-store.ts';
import type { MonitorState } from '../state/monitor-state.ts';
import { readWindow, zScore } from './baseline.ts';
import { applySnoozes, evaluateChecks, type HistoryDay, historyBaselines } from './checks/evaluate.ts';
import { metricValue } from './checks/metric-refs.ts';
import { contractSection } from './contract.ts';
import { dayMetrics, daySchema } from './day-metrics.ts';
import {
  diffReports,
  NOTHING_NOTIFIED,
  REPORT_VERSION,
  type Report,
  StoredReportSchema,
  verdictOf,
} from './report.ts';

/**
 * Delivery as the close-out sees it: given the report and the alerts firing,
 * send what is new, resolve what stopped, record it on `report.notified`, and
 * return the sinks that failed (retried by the next run). See delivery/notify.ts.
 */
export type Notifier = (report: Report, firing: Report['alerts'], now: Date) => Promise<string[]>;

export interface CloseoutDeps {
  state: MonitorState;
  config: MonitorConfig;
  timezone: string;
  /** Sends the day's alerts (and resolutions) and records on the report what was sent; returns failures. */
  notify: Notifier;
  log: Logger;
  /** The tracking plan's version, named in the report; null: no plan, no contract section. */
  planVersion?: string | null;
  now?: () => Date;
}

export interface CloseoutResult {
  report: Report;
  /** The stored report was returned as is (already closed, no --rerun). */
  reused: boolean;
  /** Sinks that failed; they are retried by the next run for the day. */
  deliveryErrors: string[];
  durationMs: number;
  /** Computed for a day not over yet: neither stored nor sent. */
  provisional: boolean;
}

export async function closeOut(
  deps: CloseoutDeps,
  day: string,
  options: { rerun?: boolean; provisional?: boolean } = {},
): Promise<CloseoutResult> {
  const started = Date.now();
  const now = (deps.now ?? (() => new Date()))();
  if (!isCalendarDate(day))
    throw new UsageError(`${day} is not a calendar date (YYYY-MM-DD, a day that exists)`);
  const today = new DayResolver(deps.timezone).dayOf(now.getTime());
  // a provisional report is never stored nor sent, whatever the day
  if (options.provisional || DayResolver.daysBetween(day, today) < 1) {
    // A day closed before its events arrived would be stored as the day's verdict and reused.
    if (!options.provisional) {
      throw new UsageError(
        `${day} is not over yet in ${deps.timezone} (today is ${today}): only past days can be closed out; ` +
          'ask for a provisional report (--provisional), which is neither stored nor sent',
      );
    }
    const report = await computeReport(deps, day, now, null);
    return { report, reused: false, deliveryErrors: [], durationMs: Date.now() - started, provisional: true };
  }
  const stored = await readReport(deps, day);
  let report: Report;
  let firing: Report['alerts'];
  if (stored && !options.rerun) {
    report = stored;
    firing = stored.alerts;
  } else {
    const fresh = await computeReport(deps, day, now, stored);
    report = stored ? { ...fresh, changes: diffReports(stored, fresh) } : fresh;
    firing = report.alerts;
  }
  const deliveryErrors = await deps.notify(report, firing, now);
  await deps.state.archive.saveSummary(day, report);
  const durationMs = Date.now() - started;
  const live = report.alerts.filter((a) => !a.snoozed);
  await deps.state.archive.recordCloseout(day, now.getTime(), durationMs, {
    critical: live.filter((a) => a.severity === 'CRITICAL').length,
    warning: live.filter((a) => a.severity === 'WARNING').length,
  });
  deps.log.info(
    { day, verdict: report.verdict, alerts: live.length, reused: !!stored && !options.rerun, durationMs },
    'closed out',
  );
  return { report, reused: !!stored && !options.rerun, deliveryErrors, durationMs, provisional: false };
}

async function readReport(deps: CloseoutDeps, day: string): Promise<Report | null> {
  const raw = await deps.state.archive.readSummary(day);
  if (raw === null) return null;
  const parsed = StoredReportSchema.safeParse(raw);
  if (!parsed.success) {
    deps.log.warn({ day }, 'stored summary has an unknown shape; recomputing');
    return null;
  }
  return parsed.data;
}

/** The stored reports of `days` that parse as one; summaries of an unknown shape are left out. */
/** Verdicts by day, then check. */
export function feedbackByDay(feedback: readonly FeedbackEntry[]) {
  const byDay = new Map<string, Map<string, FeedbackEntry['verdict']>>();
  for (const f of feedback) byDay.set(f.day, (byDay.get(f.day) ?? new Map()).set(f.check, f.verdict));
  return byDay;
}

/** Earlier days' reports: their alerts, the close-out's and the intraday schedule's, with what people said of them. */
export function withFeedback(
  reports: ReadonlyMap<string, Report>,
  feedback: readonly FeedbackEntry[],
): Map<string, HistoryDay> {
  const byDay = feedbackByDay(feedback);
  return new Map(
    [...reports].map(([d, r]) => [
      d,
      { metrics: r.metrics, alerts: [...r.alerts, ...r.intraday], feedback: byDay.get(d) ?? new Map() },
    ]),
  );
}

export async function storedReports(state: MonitorState, days: string[]): Promise<Map<string, Report>> {
  const out = new Map<string, Report>();
  for (const [day, raw] of await state.archive.readSummaries<unknown>(days)) {
    const parsed = StoredReportSchema.safeParse(raw);
    if (parsed.success) out.set(day, parsed.data);
  }
  return out;
}

async function computeReport(
  deps: CloseoutDeps,
  day: string,
  now: Date,
  stored: Report | null,
): Promise<Report> {
  const { state, config } = deps;
  const snapshot = await state.days.read(day);
  const metrics = dayMetrics(
    snapshot,
    config.traffic.utmTopSources,
    new Set(config.ingest.knownEventNames),
    config.source.currency,
  );
  const schema = daySchema(snapshot);

  const window = readWindow(day, config.baseline);
  const history = await storedReports(state, window);
  const previous = window.find((d) => history.has(d));
  const previousReport = previous ? history.get(previous)! : null;
  const contract =
    deps.planVersion == null
      ? null
      : contractSection(
          deps.planVersion,
          snapshot.violations,
          snapshot.counters,
          previousReport?.contract ?? null,
        );
  const gaps = await gapsOf(deps, day);
  const special = specialDaysOf(day, config.baseline.specialDays);
  const intraday = recordsOf((await state.intradayAlerts.read([day])).get(day) ?? []);
  const evaluation = evaluateChecks({
    day,
    gaps,
    metrics,
    schema,
    previousSchema: previousReport?.schema ?? null,
    contract,
    thresholds: thresholdsFor(day, config),
    expectedFields: config.ingest.expectedFields,
    fieldAliases: config.ingest.fieldAliases,
    expectedChannels: config.expectedChannels,
    baselineDays: config.baseline.days,
    history: historyBaselines(day, withFeedback(history, await state.feedback.read()), config.baseline),
  });
  const alerts = applySnoozes(evaluation.alerts, day, config.snoozes);
  const z = (metric: keyof Report['zscores']) => {
    const b = evaluation.baselines[metric];
    return zScore(metricValue(metrics, metric), b ? { mean: b.mean, std: b.std, n: b.n } : null);
  };

  return {
    version: REPORT_VERSION,
    date: day,
    namespace: state.namespace,
    timezone: deps.timezone,
    generated_at: now.toISOString(),
    verdict: verdictOf(alerts),
    alerts,
    metrics,
    zscores: {
      revenue: z('revenue'),
      aov: z('aov'),
      conversions: z('conversions'),
      event_count: z('event_count'),
    },
    baselines: evaluation.baselines,
    schema,
    ...(contract ? { contract } : {}),
    gaps,
    intraday,
    overrides: overridesOn(day, config.overrides),
    ...(special ? { special_day: { name: special.name, kind: special.kind, judge: special.judge } } : {}),
    notified: stored?.notified ?? NOTHING_NOTIFIED,
  };
}

/** Gaps as unlikely as this are listed in the report; the completeness check fires at its own threshold. */
const LISTED_GAP_P = 1e-5;

/**
 * The day's gaps against the intraday baseline days (the same weekday's when
 * enough, else the latest days; see intraday/evaluate.ts): none when too few
 * days have slots to judge by.
 */
async function gapsOf(deps: CloseoutDeps, day: string): Promise<DayGap[]> {
  const rules = intradayRulesFor(day, deps.config);
  const lookback = lookbackOf(day, rules);
  const slots = await deps.state.days.readIntraday([day, ...lookback]);
  const history = new Map(lookback.map((d) => [d, slots.get(d)!]));
  const baseline = baselineDaysOf(day, history, rules, new Map(), deps.config.baseline.specialDays);
  if (baseline.length < rules.minBaselineDays) return [];
  const days = new DayResolver(deps.timezone);
  return dayGaps({
    date: day,
    day: slots.get(day)!,
    baseline: baseline.map((d) => history.get(d)!),
    instantOf: (d, minute) => days.instantOf(d, minute),
    maxP: LISTED_GAP_P,
  });
}
