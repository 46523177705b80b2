/**
 * Baselines and z-scores. For a metric M on day D: M's values on the `days`
 * latest closed days before D on which M is defined and that are not left out
 * (an incident day: see historyBaselines), looking back at most
 * `lookbackDays`. With fewer than `minDays` values there is no baseline.
 * Seasonal first: when at least `sameWeekday.minDays` closed days of D's
 * weekday are within `sameWeekday.lookbackWeeks`, the baseline is the latest
 * `sameWeekday.days` of them (a Sunday against Sundays), else the rolling one.
 * A special day (`specialDays`: a holiday, a promotion) is judged against the
 * latest `days` earlier days of its kind within `ownKindLookbackDays` (none
 * with fewer than `ownKindMinDays`), or not at all (`judge: skip`); ordinary
 * days leave special days out.
 * Mean and sample standard deviation (n − 1); z = 0 when std is 0. Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';
import { daysOfKind, type SpecialDays, specialDaysOf } from '../config/special-days.ts';

export interface BaselineRules {
  days: number;
  lookbackDays: number;
  minDays: number;
  /** Same-weekday baselines where enough history exists; absent or null: rolling only. */
  sameWeekday?: { days: number; minDays: number; lookbackWeeks: number } | null;
  /** Windows of special days (holidays, promotions); none: every day is ordinary. */
  specialDays?: readonly SpecialDays[];
  /** Earlier days of its kind a special day needs, and how far back it looks for them. */
  ownKindMinDays?: number;
  ownKindLookbackDays?: number;
}

/**
 * A day left out of a baseline: a check's CRITICAL alert on it, or people
 * calling it an incident or expected (`check` names the check), or a special
 * day left out of an ordinary day's baseline (`check` names its window).
 */
export interface Exclusion {
  day: string;
  check: string;
  reason: 'critical_alert' | 'incident' | 'expected' | 'special_day';
}

export interface Baseline {
  mean: number;
  std: number;
  n: number;
  /** Days the baseline would have taken but left out, and why. */
  excluded?: Exclusion[];
  /**
   * `same_weekday`: the days are the same weekday as the day judged; `same_kind`:
   * earlier special days of its kind; absent: the latest days.
   */
  season?: 'same_weekday' | 'same_kind';
}

export interface ZScore extends Baseline {
  z: number;
}

/** The rolling look-back window before `day`, newest first. */
export function lookbackWindow(day: string, rules: BaselineRules): string[] {
  const out: string[] = [];
  for (let i = 1; i <= rules.lookbackDays; i++) out.push(DayResolver.previous(day, i));
  return out;
}

/** The days of `day`'s weekday within the seasonal look-back, newest first. */
function sameWeekdayWindow(day: string, weeks: number): string[] {
  return Array.from({ length: weeks }, (_, i) => DayResolver.previous(day, 7 * (i + 1)));
}

/** Every day a baseline may read, newest first: the rolling window, the same weekdays, and a special day's own kind. */
export function readWindow(day: string, rules: BaselineRules): string[] {
  const weeks = rules.sameWeekday?.lookbackWeeks ?? 0;
  const days = Math.max(rules.lookbackDays, 7 * weeks);
  const recent = Array.from({ length: days }, (_, i) => DayResolver.previous(day, i + 1));
  const own = ownKindWindow(day, rules) ?? [];
  return [...new Set([...recent, ...own])].sort().reverse();
}

/** A special day's own-kind look-back, newest first; null for an ordinary day. */
function ownKindWindow(day: string, rules: BaselineRules): string[] | null {
  const windows = rules.specialDays ?? [];
  const special = specialDaysOf(day, windows);
  if (!special) return null;
  return daysOfKind(special.kind, day, windows, rules.ownKindLookbackDays ?? 366);
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
  incidents: ReadonlyMap<string, Exclusion> = new Map(),
): Baseline | null {
  const windows = rules.specialDays ?? [];
  const special = specialDaysOf(day, windows);
  if (special) {
    if (special.judge === 'skip') return null;
    const own = collect(ownKindWindow(day, rules)!, history, incidents, rules.days);
    return own.values.length < (rules.ownKindMinDays ?? 3) ? null : { ...stats(own), season: 'same_kind' };
  }
  // an ordinary day leaves every special day out, as it does incidents
  const leftOut = new Map(incidents);
  for (const d of history.keys()) {
    const w = specialDaysOf(d, windows);
    if (w && !leftOut.has(d)) leftOut.set(d, { day: d, check: w.name, reason: 'special_day' });
  }
  const season = rules.sameWeekday;
  if (season) {
    const same = collect(sameWeekdayWindow(day, season.lookbackWeeks), history, leftOut, season.days);
    if (same.values.length >= season.minDays) return { ...stats(same), season: 'same_weekday' };
  }
  const rolling = collect(lookbackWindow(day, rules), history, leftOut, rules.days);
  return rolling.values.length < rules.minDays ? null : stats(rolling);
}

/** The metric's values on `days` in order, up to `limit`, incident days left out (and noted). */
function collect(
  days: string[],
  history: ReadonlyMap<string, number | null | undefined>,
  leftOut: ReadonlyMap<string, Exclusion>,
  limit: number,
): { values: number[]; excluded: Exclusion[] } {
  const values: number[] = [];
  const excluded: Exclusion[] = [];
  for (const d of days) {
    const v = history.get(d);
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const why = leftOut.get(d);
    if (why !== undefined) {
      excluded.push(why);
      continue;
    }
    values.push(v);
    if (values.length === limit) break;
  }
  return { values, excluded };
}

function stats({ values, excluded }: { values: number[]; excluded: Exclusion[] }): Baseline {
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
