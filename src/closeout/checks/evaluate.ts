/**
 * The one engine every check runs on: it reads each declaration's metric and
 * threshold, asks for the baselines it needs, and returns the alerts and every
 * baseline used (stored in the report, so text, HTML and gauges never
 * recompute one). An alert fires strictly beyond its threshold; alerts come
 * most severe first. Pure.
 */

import { SEVERITY_RANK } from '../../checks/model.ts';
import type { MonitorConfig, Thresholds } from '../../config/monitor-config.ts';
import type { FeedbackEntry } from '../../state/feedback-store.ts';
import {
  type Baseline,
  type BaselineRules,
  baselineOf,
  type Exclusion,
  lookbackWindow,
} from '../baseline.ts';
import type { DayMetrics } from '../day-metrics.ts';
import type {
  Alert,
  CheckContext,
  CheckDeclaration,
  DayFacts,
  Finding,
  ShareFinding,
} from './declaration.ts';
import { stdDistance } from './declaration.ts';
import {
  type MetricRef,
  metricValue,
  type ShareMetric,
  shareKeys,
  shareMap,
  shareRef,
} from './metric-refs.ts';
import { CHECKS, checksAbout } from './registry.ts';

/** Where baselines come from: the stored reports of earlier days, or crafted ones in tests. */
export interface BaselineSource {
  baseline(metric: MetricRef): Baseline | null;
  keysOf(family: ShareMetric): string[];
  /** The metric on the days before, newest first, over the look-back (null: not closed, or undefined). */
  recent?(metric: MetricRef): (number | null)[];
}

export interface CheckInput extends DayFacts {
  history: BaselineSource;
}

/** A baseline as the report stores it: with the threshold each check applied to it. */
export interface StoredBaseline extends Baseline {
  thresholds?: Record<string, number>;
}

export interface Evaluation {
  alerts: Omit<Alert, 'snoozed'>[];
  /** Every baseline a check asked for, by metric (null: too few closed days). */
  baselines: Record<string, StoredBaseline | null>;
}

/**
 * An earlier day as baselines see it: its metrics, the alerts its close-out
 * and the intraday schedule raised, and what people said of them.
 */
export interface HistoryDay {
  metrics: DayMetrics;
  alerts: readonly Pick<Alert, 'check' | 'severity' | 'snoozed'>[];
  /** check → verdict (see `event-monitor feedback`) */
  feedback?: ReadonlyMap<string, FeedbackEntry['verdict']>;
}

/**
 * Why a day stays out of the baseline of a metric the `about` checks judge:
 * people called one of their alerts an incident or expected; or one raised a
 * CRITICAL alert that nobody called a false positive. Null: the day counts.
 */
export function exclusionOf(
  day: string,
  h: Pick<HistoryDay, 'alerts' | 'feedback'>,
  about: ReadonlySet<string>,
  excludeAlertedDays: boolean,
): Exclusion | null {
  for (const [check, verdict] of h.feedback ?? []) {
    if (about.has(check) && verdict !== 'false_positive') return { day, check, reason: verdict };
  }
  if (!excludeAlertedDays) return null;
  const incident = h.alerts.find(
    (a) =>
      a.severity === 'CRITICAL' &&
      !a.snoozed &&
      about.has(a.check) &&
      h.feedback?.get(a.check) !== 'false_positive',
  );
  return incident ? { day, check: incident.check, reason: 'critical_alert' } : null;
}

/**
 * The days of `history` that stay out of the baselines of any of `metrics`,
 * each with the check that keeps it out (see exclusionOf).
 */
export function incidentDaysAbout(
  history: ReadonlyMap<string, Pick<HistoryDay, 'alerts' | 'feedback'>>,
  metrics: readonly string[],
  excludeAlertedDays: boolean,
): Map<string, string> {
  const about = new Set(metrics.flatMap((m) => checksAbout(m)));
  const out = new Map<string, string>();
  for (const [day, h] of history) {
    const why = exclusionOf(day, h, about, excludeAlertedDays);
    if (why) out.set(day, why.check);
  }
  return out;
}

/**
 * Baselines from earlier days, as the close-out picks those days; computed
 * once per metric. With `excludeAlertedDays`, a day on which a check about
 * the metric raised a CRITICAL alert (an incident) is left out of that
 * metric's baseline, so one broken day does not widen the band that should
 * catch the next.
 */
export function historyBaselines(
  day: string,
  history: ReadonlyMap<string, HistoryDay>,
  rules: BaselineRules & { excludeAlertedDays?: boolean },
): BaselineSource {
  const memo = new Map<MetricRef, Baseline | null>();
  return {
    baseline(metric) {
      if (!memo.has(metric)) {
        const series = new Map([...history].map(([d, h]) => [d, metricValue(h.metrics, metric)]));
        const about = new Set(checksAbout(metric));
        const leftOut = new Map<string, Exclusion>();
        for (const [d, h] of history) {
          const why = exclusionOf(d, h, about, rules.excludeAlertedDays ?? false);
          if (why) leftOut.set(d, why);
        }
        memo.set(metric, baselineOf(day, series, rules, leftOut));
      }
      return memo.get(metric)!;
    },
    keysOf(family) {
      return [...new Set([...history.values()].flatMap((h) => shareKeys(h.metrics, family)))];
    },
    recent(metric) {
      return lookbackWindow(day, rules).map((d) => {
        const h = history.get(d);
        return h ? metricValue(h.metrics, metric) : null;
      });
    },
  };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function evaluateChecks(input: CheckInput, checks: readonly CheckDeclaration[] = CHECKS): Evaluation {
  const baselines: Evaluation['baselines'] = {};
  const ctx: CheckContext = {
    ...input,
    value: (metric) => metricValue(input.metrics, metric),
    baseline(metric) {
      const b = input.history.baseline(metric);
      if (!(metric in baselines))
        baselines[metric] = b && {
          mean: b.mean,
          std: b.std,
          n: b.n,
          ...(b.excluded ? { excluded: b.excluded } : {}),
          ...(b.season ? { season: b.season } : {}),
        };
      return b;
    },
    zscore(metric) {
      const value = metricValue(input.metrics, metric);
      const b = ctx.baseline(metric);
      if (value === null || !b) return null;
      return { z: b.std === 0 ? 0 : (value - b.mean) / b.std, baseline: b };
    },
    keysOf: (family) => [...new Set([...shareKeys(input.metrics, family), ...input.history.keysOf(family)])],
    recent: (metric) => input.history.recent?.(metric) ?? [],
  };
  /** The baseline of a check's metric, noting the threshold the check applies to it. */
  const judged = (c: CheckDeclaration & { metric: MetricRef; threshold: keyof Thresholds }) => {
    const b = ctx.baseline(c.metric);
    const stored = baselines[c.metric];
    if (stored) stored.thresholds = { ...stored.thresholds, [c.id]: input.thresholds[c.threshold] as number };
    return b;
  };

  const alerts: Evaluation['alerts'] = [];
  for (const check of checks) {
    const finding = evaluateOne(check, ctx, judged);
    if (!finding) continue;
    // a volume or rate alert names what drove it (see drivers.ts)
    const drivers = check.explain?.(ctx) ?? null;
    alerts.push({
      check: check.id,
      severity: check.severity,
      ...finding,
      ...(drivers ? { message: `${finding.message}; ${drivers}` } : {}),
    });
  }
  // most severe first, then in registry order (the sort is stable)
  alerts.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return { alerts, baselines };
}

function evaluateOne(
  c: CheckDeclaration,
  ctx: CheckContext,
  judged: (c: CheckDeclaration & { metric: MetricRef; threshold: keyof Thresholds }) => Baseline | null,
): Finding | null {
  if (c.kind === 'logical') return c.evaluate(ctx);
  if ('over' in c) return shareFinding(c, ctx);
  const limit = ctx.thresholds[c.threshold] as number;
  const value = ctx.value(c.metric);
  switch (c.kind) {
    case 'minimum':
    case 'maximum': {
      // an absolute bound not configured judges nothing
      if (value === null || limit === null) return null;
      const beyond = c.kind === 'minimum' ? value < limit : value > limit;
      return beyond ? { message: c.message(value, limit, ctx), value, threshold: limit } : null;
    }
    case 'zscore': {
      if (!judged(c)) return null;
      const found = ctx.zscore(c.metric);
      if (!found) return null;
      const { z, baseline: b } = found;
      const direction = c.direction ?? 'both';
      const beyond = direction === 'up' ? z > limit : direction === 'down' ? z < -limit : Math.abs(z) > limit;
      if (!beyond) return null;
      // a very steady metric has a tiny std: also require a move of this share of the mean
      const minChange = c.minChange ? (ctx.thresholds[c.minChange] as number) : 0;
      if (minChange > 0 && (b.mean === 0 || Math.abs(z * b.std) / Math.abs(b.mean) <= minChange)) return null;
      return {
        message: `${c.label(ctx)} is ${stdDistance(z)} average (${c.format(b.mean, ctx)}), z=${z.toFixed(2)}`,
        value: round(z, 4),
        threshold: limit,
      };
    }
    case 'shift': {
      const b = judged(c);
      if (value === null || !b || b.mean <= 0) return null;
      const change = (value - b.mean) / b.mean;
      if (Math.abs(change) <= limit) return null;
      return {
        message: c.message({ value, change, mean: b.mean, days: b.n }),
        value: round(change, 4),
        threshold: limit,
      };
    }
    case 'drop': {
      const b = judged(c);
      if (value === null || !b || b.mean <= 0 || value >= limit * b.mean) return null;
      return {
        message: c.message({ value, share: limit, mean: b.mean, days: b.n }),
        value,
        threshold: round(limit * b.mean, 2),
      };
    }
  }
}

type ShareDeclaration = Extract<CheckDeclaration, { kind: 'share_drop' | 'share_shift' | 'share_max' }>;

/** The share kinds: the one key of the map that is furthest beyond its limit (see declaration.ts). */
function shareFinding(c: ShareDeclaration, ctx: CheckContext): Finding | null {
  const today = shareMap(ctx.metrics, c.over);
  if (!today) return null;
  const limit = ctx.thresholds[c.threshold] as number;
  const shareOf = (key: string) => today[key] ?? 0;
  const excluded = new Set(c.exclude ?? []);
  const judgedKeys = () => ctx.keysOf(c.over).filter((key) => !excluded.has(key));
  const found = (f: ShareFinding, value: number, threshold: number): Finding => ({
    message: c.message(f, ctx),
    value,
    threshold,
  });
  switch (c.kind) {
    case 'share_max': {
      const [top] = Object.entries(today)
        .filter(([key]) => !excluded.has(key))
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (!top) return null;
      const [key, share] = top;
      // usual for this key: its baseline share at or above `usualBelow`
      const base = c.usualBelow ? ctx.baseline(shareRef(c.over, key)) : null;
      if (c.usualBelow && (!base || base.mean >= (ctx.thresholds[c.usualBelow] as number))) return null;
      if (share <= limit) return null;
      return found(
        { key, today: share, mean: base?.mean ?? null, days: base?.n ?? null, limit },
        share,
        limit,
      );
    }
    case 'share_drop': {
      const minShare = c.minShare ? (ctx.thresholds[c.minShare] as number) : 0;
      let worst: ShareFinding | null = null;
      for (const key of judgedKeys()) {
        const base = ctx.baseline(shareRef(c.over, key));
        if (!base || base.mean < minShare) continue;
        const share = shareOf(key);
        if (share >= limit * base.mean) continue;
        if (!worst || share / base.mean < worst.today / worst.mean!)
          worst = { key, today: share, mean: base.mean, days: base.n, limit: round(limit * base.mean, 6) };
      }
      return worst && found(worst, worst.today, worst.limit);
    }
    case 'share_shift': {
      let worst: (ShareFinding & { change: number }) | null = null;
      for (const key of judgedKeys()) {
        const base = ctx.baseline(shareRef(c.over, key));
        if (!base) continue;
        const change = shareOf(key) - base.mean;
        if (Math.abs(change) > limit && (!worst || Math.abs(change) > Math.abs(worst.change)))
          worst = { key, today: shareOf(key), mean: base.mean, days: base.n, limit, change };
      }
      return worst && found(worst, round(worst.change, 4), limit);
    }
  }
}

export function applySnoozes(
  alerts: Omit<Alert, 'snoozed'>[],
  day: string,
  snoozes: MonitorConfig['snoozes'],
): Alert[] {
  return alerts.map((a) => ({ ...a, snoozed: snoozes.some((s) => s.check === a.check && day <= s.until) }));
}
