/**
 * What a check is: a declaration over the shared engine in evaluate.ts, as in
 * Elementary's anomaly tests. A declaration names its metric, its kind, the
 * threshold key it reads and its playbook; the engine computes the value, the
 * baseline and the verdict, so adding a check is one declaration and a test.
 * Pure: no I/O.
 */
import { z } from 'zod';
import { type CheckCommon, SeveritySchema } from '../../checks/model.ts';
import type { Thresholds } from '../../config/monitor-config.ts';
import type { DayGap } from '../../intraday/gaps.ts';
import type { Baseline } from '../baseline.ts';
import type { ContractSection } from '../contract.ts';
import type { DayMetrics, DaySchema } from '../day-metrics.ts';
import type { MetricRef, ShareMetric } from './metric-refs.ts';

/** A close-out alert: what the report stores, and the type. */
export const AlertSchema = z.object({
  check: z.string(),
  severity: SeveritySchema,
  message: z.string(),
  value: z.union([z.number(), z.string()]).nullable(),
  threshold: z.union([z.number(), z.string()]).nullable(),
  snoozed: z.boolean(),
});
export type Alert = z.infer<typeof AlertSchema>;

export type Finding = Pick<Alert, 'message' | 'value' | 'threshold'>;
export type ThresholdKey = keyof Thresholds;

/** The day as the checks judge it: its metrics and schema, and the settings that apply to it. */
export interface DayFacts {
  day: string;
  metrics: DayMetrics;
  schema: DaySchema;
  /** The latest closed day before this one, for schema drift; null if none. */
  previousSchema: DaySchema | null;
  thresholds: Thresholds;
  expectedFields: readonly string[];
  fieldAliases: Readonly<Record<string, string>>;
  expectedChannels: readonly string[];
  /** The day's tracking-plan violations; null when no plan judged the day. */
  contract: ContractSection | null;
  /** Days a baseline holds (baseline.days; 7 when not given). */
  baselineDays?: number;
  /** The day's unlikely spans without any event (intraday/gaps.ts). */
  gaps: readonly DayGap[];
}

/** What every check sees: the day's facts, and values and baselines on demand. */
export interface CheckContext extends DayFacts {
  /** The day's value of a metric (null where undefined). */
  value(metric: MetricRef): number | null;
  /** The metric's baseline over the closed days before this one; null with too few days. */
  baseline(metric: MetricRef): Baseline | null;
  /** Today's z-score of the metric against its baseline (0 where the baseline never varied); null without either. */
  zscore(metric: MetricRef): { z: number; baseline: Baseline } | null;
  /** The keys of a share map seen today or on any baseline day, e.g. every device class. */
  keysOf(family: ShareMetric): string[];
  /** The metric on the days before, newest first, over the look-back (null: not closed, or undefined). */
  recent(metric: MetricRef): (number | null)[];
}

interface Common<Id extends string> extends CheckCommon<Id> {
  /** What drove it (see drivers.ts), appended to the alert's message. */
  explain?: (ctx: CheckContext) => string | null;
}

/** value < threshold (or > for maximum). Alert value: the metric; threshold: the limit. */
interface LimitCheck<Id extends string> extends Common<Id> {
  kind: 'minimum' | 'maximum';
  metric: MetricRef;
  threshold: ThresholdKey;
  message: (value: number, limit: number, ctx: CheckContext) => string;
}

/** |z| (or z, direction 'up') beyond the threshold, and, with minChange, a move of that share of the mean. */
interface ZScoreCheck<Id extends string> extends Common<Id> {
  kind: 'zscore';
  metric: MetricRef;
  threshold: ThresholdKey;
  /** Which side fires: 'both' (the default), 'up' or 'down'. */
  direction?: 'both' | 'up' | 'down';
  minChange?: ThresholdKey;
  /** The metric with today's value, e.g. "Daily revenue ($1,234.00)". */
  label: (ctx: CheckContext) => string;
  format: (v: number, ctx: CheckContext) => string;
}

/** |value − mean| / mean beyond the threshold. Alert value: that relative change. */
interface ShiftCheck<Id extends string> extends Common<Id> {
  kind: 'shift';
  metric: MetricRef;
  threshold: ThresholdKey;
  message: (p: { value: number; change: number; mean: number; days: number }) => string;
}

/** value below threshold × mean. Alert value: the metric; threshold: that floor. */
interface DropCheck<Id extends string> extends Common<Id> {
  kind: 'drop';
  metric: MetricRef;
  threshold: ThresholdKey;
  message: (p: { value: number; share: number; mean: number; days: number }) => string;
}

/** A key of a share map today and its baseline: what the share kinds report. */
export interface ShareFinding {
  key: string;
  today: number;
  /** The key's baseline mean and days (null for `share_max` without a baseline condition). */
  mean: number | null;
  days: number | null;
  limit: number;
}

/**
 * Per key of a share map (`over`: channels, device classes, UTM sources):
 * - share_drop: today below threshold × its baseline share, for keys whose
 *   baseline share is at least `minShare`; the key that fell furthest.
 *   Alert value: today's share; threshold: that floor.
 * - share_shift: today more than threshold points from its baseline share;
 *   the key that moved furthest. Alert value: the change; threshold: the limit.
 * - share_max: the largest key above threshold (`exclude`d keys aside); with
 *   `usualBelow`, only where its baseline share was below that.
 *   Alert value: its share; threshold: the limit.
 */
interface ShareCheck<Id extends string> extends Common<Id> {
  kind: 'share_drop' | 'share_shift' | 'share_max';
  over: ShareMetric;
  /** Share checks judge a whole map, not one metric's chart. */
  metric?: undefined;
  threshold: ThresholdKey;
  /** share_drop: keys with a smaller baseline share swing on their own. */
  minShare?: ThresholdKey;
  /** share_max: fire only where the key's baseline share is below this. */
  usualBelow?: ThresholdKey;
  /** Keys not judged (e.g. "other", which is not one key; bots, whose loss is no tracking failure). */
  exclude?: readonly string[];
  message: (f: ShareFinding, ctx: CheckContext) => string;
}

/** Anything else: a rule over the context. `metric` places its alerts on that metric's chart. */
interface LogicalCheck<Id extends string> extends Common<Id> {
  kind: 'logical';
  metric?: MetricRef;
  /** The thresholds its rule reads (a test holds it to that). */
  reads?: readonly ThresholdKey[];
  evaluate: (ctx: CheckContext) => Finding | null;
}

export type CheckDeclaration<Id extends string = string> =
  | LimitCheck<Id>
  | ZScoreCheck<Id>
  | ShiftCheck<Id>
  | DropCheck<Id>
  | ShareCheck<Id>
  | LogicalCheck<Id>;

/** Every threshold a check reads, in the order its declaration names them. */
export function thresholdKeysOf(c: CheckDeclaration): ThresholdKey[] {
  if (c.kind === 'logical') return [...(c.reads ?? [])];
  const keys: (ThresholdKey | undefined)[] = [
    c.threshold,
    'minChange' in c ? c.minChange : undefined,
    'minShare' in c ? c.minShare : undefined,
    'usualBelow' in c ? c.usualBelow : undefined,
  ];
  return keys.filter((k): k is ThresholdKey => k !== undefined);
}

/** Declares one check, keeping its id as a literal type (the registry's CheckId union). */
export const defineCheck = <const Id extends string>(d: CheckDeclaration<Id>): CheckDeclaration<Id> => d;

/** "2.5 std above" / "1.3 std below". */
export const stdDistance = (z: number) => `${Math.abs(z).toFixed(1)} std ${z < 0 ? 'below' : 'above'}`;

/** A share as a whole percentage for titles: 0.2 → "20%". */
export const wholePct = (v: number | null) => (v === null ? 'its limit' : `${Number((v * 100).toFixed(1))}%`);
