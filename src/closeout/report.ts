/**
 * The close-out report: one zod schema is the JSON contract (versioned), the
 * type, and the validator for summaries read back from Redis. Pure.
 */
import { z } from 'zod';
import { SEVERITY_RANK, type Severity, SeveritySchema } from '../checks/model.ts';
import { OverrideSchema } from '../config/monitor-config.ts';
import { SPECIAL_DAY_JUDGEMENTS } from '../config/special-days.ts';
import { dictionary } from '../dictionary.ts';
import { IntradayRecordSchema } from '../intraday/alert-log.ts';
import { DayGapSchema } from '../intraday/gaps.ts';
import { type Alert, AlertSchema } from './checks/declaration.ts';
import { ContractSectionSchema } from './contract.ts';
import { DayMetricsSchema, DaySchemaSchema } from './day-metrics.ts';

/**
 * 2: `notified` records what each sink sent by alert key (Slack: the keys it
 * announced, not a flag). Reports of version 1 are upgraded on read.
 */
export const REPORT_VERSION = 2;

const ZScoreSchema = z
  .object({ z: z.number(), mean: z.number(), std: z.number(), n: z.number().int() })
  .nullable();
/** A baseline a check used, with the threshold each check applied to it (reports before 0.2 lack those). */
const BaselineSchema = z
  .object({
    mean: z.number(),
    std: z.number(),
    n: z.number().int(),
    thresholds: z.record(z.string(), z.number()).optional(),
    /**
     * `same_weekday`: judged against the same weekday's days (see baseline.sameWeekday);
     * `same_kind`: a special day against earlier days of its kind; absent: the latest days.
     */
    season: z.enum(['same_weekday', 'same_kind']).optional(),
    /** Days left out of the baseline: incidents, with the check that fired on them; special days, with their window's name. */
    excluded: z
      .array(
        z.object({
          day: z.string(),
          check: z.string(),
          reason: z.enum(['critical_alert', 'incident', 'expected', 'special_day']),
        }),
      )
      .optional(),
  })
  .nullable();

/** What each sink last sent for a day, by alert key (see delivery/notice.ts), so no run repeats it. */
export const NotifiedSchema = z.object({
  /** Alerts posted and still active there; resolving one needs its exact labels, severity included. */
  alertmanager: z.array(
    z.object({
      check: z.string(),
      severity: SeveritySchema,
      dimension: z.string().nullable().default(null),
      startsAt: z.string().optional(),
    }),
  ),
  /** Keys of the alerts announced. */
  slack: z.array(z.string()),
  /** Keys of the CRITICAL alerts in the day's incident. */
  pagerduty: z.array(z.string()),
});
export type Notified = z.infer<typeof NotifiedSchema>;
export const NOTHING_NOTIFIED: Notified = { alertmanager: [], slack: [], pagerduty: [] };

export const ReportSchema = z.object({
  version: z.literal(REPORT_VERSION),
  date: z.string(),
  namespace: z.string(),
  timezone: z.string(),
  generated_at: z.string(),
  verdict: z.enum(['critical', 'warning', 'ok']),
  alerts: z.array(AlertSchema),
  metrics: DayMetricsSchema,
  zscores: z.object({
    revenue: ZScoreSchema,
    aov: ZScoreSchema,
    conversions: ZScoreSchema,
    event_count: ZScoreSchema,
  }),
  /** Every baseline the checks used, by metric ("event_count", "device_share:mobile", …). */
  baselines: z.record(z.string(), BaselineSchema),
  schema: DaySchemaSchema,
  /** The tracking plan's verdict on the day; absent when no plan was on. */
  contract: ContractSectionSchema.optional(),
  /** Spans without any event (of all events, or of a type) the baseline days call unlikely; none on days closed before gaps were kept. */
  gaps: z.array(DayGapSchema).default([]),
  /** The day's special-days window (baseline.specialDays), if it is in one: how its baselines were chosen. */
  special_day: z
    .object({ name: z.string(), kind: z.string(), judge: z.enum(SPECIAL_DAY_JUDGEMENTS) })
    .optional(),
  /** What the intraday schedule raised during the day, first and last seen; none where it did not run. */
  intraday: z.array(IntradayRecordSchema).default([]),
  /** The configured overrides that applied to the day, in order: its thresholds and intraday parameters came from them. */
  overrides: z.array(OverrideSchema).default([]),
  /** On a re-run: what changed since the stored report. */
  changes: z
    .object({
      metrics: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
      alerts_added: z.array(z.string()),
      alerts_removed: z.array(z.string()),
    })
    .optional(),
  /** Which notifications went out, so a re-run sends nothing twice. */
  notified: NotifiedSchema,
});
export type Report = z.infer<typeof ReportSchema>;

/** A stored report of an earlier version in the current shape (see REPORT_VERSION). */
function upgraded(raw: unknown): unknown {
  const r = raw as { version?: unknown; alerts?: Alert[]; notified?: { slack?: unknown } } | null;
  if (r?.version !== 1 || typeof r.notified?.slack !== 'boolean') return raw;
  // version 1 announced every unsnoozed WARNING and CRITICAL alert in one message, or none yet
  const announced = r.notified.slack
    ? (r.alerts ?? []).filter((a) => !a.snoozed && a.severity !== 'INFO').map((a) => a.check)
    : [];
  return { ...r, version: REPORT_VERSION, notified: { ...r.notified, slack: announced } };
}

/** Parses a stored report, upgrading an earlier version to the current shape. */
export const StoredReportSchema = z.preprocess(upgraded, ReportSchema);

export function verdictOf(alerts: Alert[]): Report['verdict'] {
  const live = alerts.filter((a) => !a.snoozed);
  if (live.some((a) => a.severity === 'CRITICAL')) return 'critical';
  if (live.some((a) => a.severity === 'WARNING')) return 'warning';
  return 'ok';
}

/** Whether an unsnoozed alert at or above `level` fired: the close-out's exit status. */
export function failsAt(report: Report, level: Severity | 'never'): boolean {
  if (level === 'never') return false;
  return report.alerts.some((a) => !a.snoozed && SEVERITY_RANK[a.severity] >= SEVERITY_RANK[level]);
}

/** Metric-by-metric differences between two reports of the same day (a --rerun after late events). */
export function diffReports(before: Report, after: Omit<Report, 'changes'>): NonNullable<Report['changes']> {
  const metrics = dictionary<{ before: unknown; after: unknown }>();
  for (const [k, v] of Object.entries(after.metrics)) {
    const old = (before.metrics as Record<string, unknown>)[k];
    if (JSON.stringify(old) !== JSON.stringify(v)) metrics[k] = { before: old, after: v };
  }
  const key = (a: Alert) => a.check;
  const beforeChecks = new Set(before.alerts.map(key));
  const afterChecks = new Set(after.alerts.map(key));
  return {
    metrics,
    alerts_added: [...afterChecks].filter((c) => !beforeChecks.has(c)),
    alerts_removed: [...beforeChecks].filter((c) => !afterChecks.has(c)),
  };
}
