/**
 * What a day's HTML page shows, computed from stored reports alone: the key
 * metrics over the chart window with the band each day was judged against,
 * the funnel and channel shares against their baseline, and the field health.
 * Pure: reports and config in, plain data out (the page embeds it as JSON).
 */

import { DayResolver } from '../../calendar/day-resolver.ts';
import { SEVERITY_RANK, type Severity } from '../../checks/model.ts';
import { thresholdsFor } from '../../config/day-rules.ts';
import type { MonitorConfig } from '../../config/monitor-config.ts';
import { baselineOf, lookbackWindow } from '../baseline.ts';
import { shareRef } from '../checks/metric-refs.ts';
import {
  checksAbout,
  playbookFor,
  type RenderedPlaybook,
  thresholdOf,
  zScoreCheckOf,
} from '../checks/registry.ts';
import type { Report } from '../report.ts';

/** The charts span at least this many days (empty where nothing was closed)… */
export const CHART_MIN_DAYS = 14;
/** …and at most this many. */
export const CHART_MAX_DAYS = 28;

export type ValueFormat = 'count' | 'money' | 'share';

/**
 * A chart, judged as the close-out judges its metric: a band of its z-score
 * check (mean ± that check's threshold × std, around the z-score the report
 * stored), or the limit of its maximum check. The thresholds are the checks'
 * own (registry.ts).
 */
type KeyMetric = { label: string; format: ValueFormat } & (
  | { key: keyof Report['zscores']; band: 'zscore' }
  | { key: 'null_client_rate'; band: 'limit' }
);

export const KEY_METRICS: readonly KeyMetric[] = [
  { key: 'revenue', label: 'Revenue', format: 'money', band: 'zscore' },
  { key: 'conversions', label: 'Orders', format: 'count', band: 'zscore' },
  { key: 'aov', label: 'Average order value', format: 'money', band: 'zscore' },
  { key: 'null_client_rate', label: 'Events without a client id', format: 'share', band: 'limit' },
  { key: 'event_count', label: 'Events', format: 'count', band: 'zscore' },
];

export interface SeriesPoint {
  date: string;
  /** null where the day was not closed out (or the metric was undefined). */
  value: number | null;
  /** The baseline the close-out judged this day against: mean, and mean ± threshold × std. */
  mean: number | null;
  lower: number | null;
  upper: number | null;
  /** The fixed limit for this day, for metrics checked against one. */
  limit: number | null;
  /** The most severe unsnoozed alert about this metric on this day. */
  alert: { check: string; severity: Severity } | null;
}

export interface MetricSeries {
  key: KeyMetric['key'];
  label: string;
  format: ValueFormat;
  /** The currency of a money series (the newest day's); null when no event or config named one. */
  currency: string | null;
  /** How the band or limit is meant, for the legend and the screen-reader summary. */
  bandLabel: string;
  points: SeriesPoint[];
}

export interface ShareRow {
  name: string;
  today: number;
  /** Mean over the baseline days before this day; null with too few closed days. */
  baseline: number | null;
}

export interface FieldHealthRow {
  field: string;
  expected: boolean;
  /** Accepted events without the field. */
  missing: number;
  missingShare: number;
  /** Events that carried it under another name (e.g. clientId for client_id). */
  aliased: Record<string, number>;
  /** Problems with its value on accepted events, by kind. */
  problems: Record<string, number>;
  status: 'missing' | 'problems' | 'renamed' | 'ok';
}

export interface AlertView {
  check: string;
  severity: Severity;
  message: string;
  snoozed: boolean;
  playbook: RenderedPlaybook | null;
}

export interface DayPageModel {
  report: Report;
  window: string[];
  alerts: AlertView[];
  metrics: MetricSeries[];
  funnel: ShareRow[];
  channels: ShareRow[];
  fields: FieldHealthRow[];
  rejected: Record<string, number>;
  /** How many closed days before this one fed its baselines (0: none yet). */
  baselineDays: number;
  /** What the baseline's mean is called on the page: "7-day mean", as configured. */
  meanLabel: string;
}

/**
 * The days on the charts' x axis, oldest first: up to CHART_MAX_DAYS ending at
 * `day`, trimmed to start at the oldest closed day, but never fewer than
 * CHART_MIN_DAYS.
 */
export function chartWindow(day: string, closed: Iterable<string>): string[] {
  const dates = DayResolver.lastDays(day, CHART_MAX_DAYS);
  const known = new Set(closed);
  const first = dates.findIndex((d) => known.has(d));
  const start = Math.min(first === -1 ? dates.length - 1 : first, CHART_MAX_DAYS - CHART_MIN_DAYS);
  return dates.slice(start);
}

/** Alerts by severity (most severe first), each with its playbook. */
export function alertViews(report: Report): AlertView[] {
  return [...report.alerts]
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Number(a.snoozed) - Number(b.snoozed),
    )
    .map((a) => ({
      check: a.check,
      severity: a.severity,
      message: a.message,
      snoozed: a.snoozed,
      playbook: playbookFor(a, report),
    }));
}

function worstAlert(report: Report | undefined, checks: string[]): SeriesPoint['alert'] {
  let worst: SeriesPoint['alert'] = null;
  for (const a of report?.alerts ?? []) {
    if (a.snoozed || !checks.includes(a.check)) continue;
    if (!worst || SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst.severity])
      worst = { check: a.check, severity: a.severity };
  }
  return worst;
}

const round = (v: number) => Number(v.toPrecision(10));

export function metricSeries(
  window: string[],
  reports: ReadonlyMap<string, Report>,
  config: Pick<MonitorConfig, 'thresholds' | 'overrides' | 'baseline'>,
): MetricSeries[] {
  // The legend states the newest day's thresholds; each point's band uses its own day's.
  const latest = window.length ? thresholdsFor(window.at(-1)!, config) : config.thresholds;
  const currency = (window.length ? reports.get(window.at(-1)!)?.metrics.currency : null) ?? null;
  return KEY_METRICS.map((metric) => {
    const zCheck = metric.band === 'zscore' ? zScoreCheckOf(metric.key) : undefined;
    const stdKey = metric.band === 'zscore' ? thresholdOf(metric.key, 'zscore') : undefined;
    const limitKey = metric.band === 'limit' ? thresholdOf(metric.key, 'maximum') : undefined;
    return {
      key: metric.key,
      label: metric.label,
      format: metric.format,
      currency,
      bandLabel: limitKey
        ? 'alert above (threshold)'
        : `${meanLabelOf(config)} ± ${stdKey ? latest[stdKey] : ''} std (alert outside)`,
      points: window.map((date): SeriesPoint => {
        const r = reports.get(date);
        const t = thresholdsFor(date, config);
        const z = r && metric.band === 'zscore' ? r.zscores[metric.key] : null;
        // the threshold the close-out applied that day (stored with the baseline; older reports: the config's)
        const applied = zCheck ? r?.baselines[metric.key]?.thresholds?.[zCheck] : undefined;
        const k = applied ?? (stdKey ? (t[stdKey] as number) : 0);
        return {
          date,
          value: r ? r.metrics[metric.key] : null,
          mean: z ? round(z.mean) : null,
          lower: z ? round(z.mean - k * z.std) : null,
          upper: z ? round(z.mean + k * z.std) : null,
          limit: limitKey ? (t[limitKey] as number) : null,
          alert: worstAlert(r, checksAbout(metric.key)),
        };
      }),
    };
  });
}

/** "7-day mean", as long as the baseline is configured. */
export const meanLabelOf = (config: Pick<MonitorConfig, 'baseline'>) => `${config.baseline.days}-day mean`;

/** Today's shares against their mean over the baseline days, as the close-out picks those days. */
function shareRows(
  day: string,
  today: Record<string, number>,
  history: ReadonlyMap<string, Report>,
  pick: (r: Report) => Record<string, number>,
  config: Pick<MonitorConfig, 'baseline'>,
  names: string[],
): ShareRow[] {
  return names.map((name) => {
    const series = new Map([...history].map(([d, r]) => [d, pick(r)[name] ?? 0]));
    // the bars compare with the latest days' mean, as their label says
    const mean = baselineOf(day, series, { ...config.baseline, sameWeekday: null })?.mean;
    return { name, today: today[name] ?? 0, baseline: mean === undefined ? null : round(mean) };
  });
}

export function funnelRows(
  report: Report,
  history: ReadonlyMap<string, Report>,
  config: Pick<MonitorConfig, 'baseline'>,
): ShareRow[] {
  const steps = (r: Report) => ({
    'Added to cart': r.metrics.atc_rate,
    'Started checkout': r.metrics.checkout_rate,
    Purchased: r.metrics.purchase_rate,
  });
  return shareRows(report.date, steps(report), history, steps, config, Object.keys(steps(report)));
}

export function channelRows(
  report: Report,
  history: ReadonlyMap<string, Report>,
  config: Pick<MonitorConfig, 'baseline' | 'expectedChannels'>,
): ShareRow[] {
  const recent = lookbackWindow(report.date, config.baseline).flatMap((d) =>
    Object.keys(history.get(d)?.metrics.channel_share ?? {}),
  );
  const names = [
    ...new Set([...Object.keys(report.metrics.channel_share), ...recent, ...config.expectedChannels]),
  ];
  const rows = shareRows(
    report.date,
    report.metrics.channel_share,
    history,
    (r) => r.metrics.channel_share,
    config,
    names,
  ).map((row) => {
    // the baseline the close-out judged the channel against, where it stored one (reports since 0.2)
    const stored = report.baselines[shareRef('channel_share', row.name)];
    return stored === undefined ? row : { ...row, baseline: stored === null ? null : round(stored.mean) };
  });
  return rows.sort(
    (a, b) => b.today - a.today || (b.baseline ?? 0) - (a.baseline ?? 0) || a.name.localeCompare(b.name),
  );
}

/**
 * One row per field that is expected or had anything happen to it: missing on
 * accepted events, carried under an alias, or a problem with its value.
 */
export function fieldHealth(report: Report, config: Pick<MonitorConfig, 'ingest'>): FieldHealthRow[] {
  const m = report.metrics;
  const aliasOf = config.ingest.fieldAliases;
  const names = new Set([...config.ingest.expectedFields, ...Object.keys(m.missing_fields)]);
  const problems = new Map<string, Record<string, number>>();
  for (const [key, count] of Object.entries(m.field_problems)) {
    const [kind, field] = key.split(':', 2) as [string, string | undefined];
    if (!field || kind === 'alias_used') continue;
    names.add(field);
    problems.set(field, { ...problems.get(field), [kind]: count });
  }
  const aliased = new Map<string, Record<string, number>>();
  for (const [alias, count] of Object.entries(m.field_aliases)) {
    const field = aliasOf[alias] ?? alias;
    names.add(field);
    aliased.set(field, { ...aliased.get(field), [alias]: count });
  }
  const rows = [...names].map((field): FieldHealthRow => {
    const missing = m.missing_fields[field] ?? 0;
    const expected = config.ingest.expectedFields.includes(field);
    const p = problems.get(field) ?? {};
    const a = aliased.get(field) ?? {};
    return {
      field,
      expected,
      missing,
      missingShare: m.event_count > 0 ? missing / m.event_count : 0,
      aliased: a,
      problems: p,
      status:
        expected && missing > 0
          ? 'missing'
          : Object.keys(p).length
            ? 'problems'
            : Object.keys(a).length
              ? 'renamed'
              : 'ok',
    };
  });
  const order = { missing: 0, problems: 1, renamed: 2, ok: 3 };
  return rows.sort((x, y) => order[x.status] - order[y.status] || x.field.localeCompare(y.field));
}

/**
 * @param reports stored reports of the chart window and the baseline days
 *   before it, by date; must include `day` itself.
 */
export function dayPageModel(
  day: string,
  reports: ReadonlyMap<string, Report>,
  config: Pick<MonitorConfig, 'thresholds' | 'overrides' | 'baseline' | 'expectedChannels' | 'ingest'>,
): DayPageModel {
  const report = reports.get(day);
  if (!report) throw new Error(`no stored report for ${day}: close the day out first`);
  const window = chartWindow(day, reports.keys());
  return {
    report,
    window,
    alerts: alertViews(report),
    metrics: metricSeries(window, reports, config),
    funnel: funnelRows(report, reports, config),
    channels: channelRows(report, reports, config),
    fields: fieldHealth(report, config),
    rejected: report.metrics.rejected,
    baselineDays: report.zscores.event_count?.n ?? 0,
    meanLabel: meanLabelOf(config),
  };
}
