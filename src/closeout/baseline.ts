/**
 * Baselines and z-scores. For a metric M on day D: M's values on the `days`
 * latest closed days before D on which M is defined and that are not left out
 * (an incident day: see historyBaselines), looking back at most
 * `lookbackDays`. With fewer than `minDays` values there is no baseline.
 * Mean and sample standard deviation (n − 1); z = 0 when std is 0. Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';

export interface BaselineRules {
  days: number;
  lookbackDays: number;
  minDays: number;
}

/** A day left out of a baseline: a check's CRITICAL alert on it, or people calling it an incident or expected. */
export interface Exclusion {
  day: string;
  check: string;
  reason: 'critical_alert' | 'incident' | 'expected';
}

export interface Baseline {
  mean: number;
  std: number;
  n: number;
  /** Days the baseline would have taken but left out, and why. */
  excluded?: Exclusion[];
}

export interface ZScore extends Baseline {
  z: number;
}

/** Days to read summaries for: the look-back window before `day`, newest first. */
export function lookbackWindow(day: string, rules: BaselineRules): string[] {
  const out: string[] = [];
  for (let i = 1; i <= rules.lookbackDays; i++) out.push(DayResolver.previous(day, i));
  return out;
}

/**
 * @param history value of the metric by day (undefined or null where the day
 *   was not closed or the metric was undefined)
 */
export function baselineOf(
  day: string,
  history: ReadonlyMap<string, number | null | undefined>,
  rules: BaselineRules,
  /** day → why it stays out of this baseline */
  leftOut: ReadonlyMap<string, Exclusion> = new Map(),
): Baseline | null {
  const values: number[] = [];
  const excluded: Exclusion[] = [];
  for (const d of lookbackWindow(day, rules)) {
    const v = history.get(d);
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const why = leftOut.get(d);
    if (why !== undefined) {
      excluded.push(why);
      continue;
    }
    values.push(v);
    if (values.length === rules.days) break;
  }
  if (values.length < rules.minDays) return null;
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n, ...(excluded.length ? { excluded } : {}) };
}

export function zScore(value: number | null, baseline: Baseline | null): ZScore | null {
  if (value === null || baseline === null) return null;
  const z = baseline.std === 0 ? 0 : (value - baseline.mean) / baseline.std;
  return { ...baseline, z };
}
