/**
 * The intraday checks: the day so far, as of a time of day, against the
 * same hours of the baseline days. Pure: the caller reads the slots.
 *
 * - intraday_volume_drop (per event type): the trailing windows and the day
 *   so far, each against the baseline days' counts in the same slots, judged
 *   as counts (countCdf); windows expecting fewer than `minExpected` events
 *   are not judged.
 * - intraday_silence (per event type): no event for longer than the longest
 *   silence the baseline days had around this hour, and that long without
 *   one unlikely under the baseline.
 * - intraday_null_client_rate: the trailing window's share of events without
 *   a client id above the limit and unlikely at the baseline hours' share.
 */
import { type IntradayDay, SLOT_MINUTES, SLOTS_PER_DAY } from '../aggregation/intraday.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import type { IntradayRules } from '../config/monitor-config.ts';
import { binomialSf, countCdf, meanAndVariance } from './statistics.ts';

export const INTRADAY_CHECKS = [
  'intraday_volume_drop',
  'intraday_silence',
  'intraday_null_client_rate',
] as const;
export type IntradayCheck = (typeof INTRADAY_CHECKS)[number];

export interface IntradayAlert {
  check: IntradayCheck;
  severity: 'CRITICAL' | 'WARNING';
  /** null: all events (the null client id rate) */
  event_name: string | null;
  message: string;
  observed: number;
  expected: number;
  /** When the condition began (ISO), as far as the slots tell. */
  since: string;
}

export interface IntradayVerdict {
  date: string;
  /** HH:MM: slots before it were judged */
  at: string;
  baseline_days: string[];
  /** Days of the look-back left out of the baselines as incidents, with the close-out check that fired on them. */
  excluded: { day: string; check: string; baseline: 'volume' | 'null_client' }[];
  /** Why nothing was judged, when too few baseline days had events. */
  note: string | null;
  alerts: IntradayAlert[];
}

export interface IntradayInput {
  date: string;
  /** Minutes since local midnight; the slots that end by then are judged. */
  atMinute: number;
  today: IntradayDay;
  /** Days before `date` with their slots (any order; days without events are passed over). */
  history: Map<string, IntradayDay>;
  rules: IntradayRules;
  maxNullClientRate: number;
  /** Epoch ms of a local time of a day (DayResolver.instantOf). */
  instantOf: (day: string, minuteOfDay: number) => number;
  /** Incident days (day → the close-out check that fired) left out of the volume and silence, and the null client, baselines. */
  leftOut?: { volume: ReadonlyMap<string, string>; nullClient: ReadonlyMap<string, string> };
}

const hasEvents = (d: IntradayDay | undefined) => d?.totals.some((n) => n > 0) ?? false;
const sum = (series: readonly number[], from: number, to: number) => {
  let n = 0;
  for (let i = Math.max(0, from); i < to; i++) n += series[i] ?? 0;
  return n;
};
const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const whole = (v: number) => Math.round(v).toLocaleString('en-US');

/**
 * The days the day is compared with: the same weekday's when enough of them
 * have events, else the latest days; incident days left out.
 */
export function baselineDaysOf(
  date: string,
  history: Map<string, IntradayDay>,
  rules: IntradayRules,
  leftOut: ReadonlyMap<string, string> = new Map(),
): string[] {
  const candidates = Array.from({ length: rules.lookbackDays }, (_, i) =>
    DayResolver.previous(date, i + 1),
  ).filter((d) => hasEvents(history.get(d)) && !leftOut.has(d));
  const weekday = DayResolver.weekday(date);
  const sameWeekday = candidates
    .filter((d) => DayResolver.weekday(d) === weekday)
    .slice(0, rules.sameWeekdayDays);
  const days =
    sameWeekday.length >= rules.minSameWeekdayDays ? sameWeekday : candidates.slice(0, rules.baselineDays);
  return days.sort();
}

export function evaluateIntraday(input: IntradayInput): IntradayVerdict {
  const { date, atMinute, today, history, rules } = input;
  const atSlot = Math.min(SLOTS_PER_DAY, Math.floor(atMinute / SLOT_MINUTES));
  const leftOut = input.leftOut ?? { volume: new Map(), nullClient: new Map() };
  const baselineDays = baselineDaysOf(date, history, rules, leftOut.volume);
  const inLookback = (d: string) => d < date && DayResolver.daysBetween(d, date) <= rules.lookbackDays;
  const excluded = (baseline: 'volume' | 'null_client', days: ReadonlyMap<string, string>) =>
    [...days].filter(([d]) => inLookback(d)).map(([day, check]) => ({ day, check, baseline }));
  const verdict: IntradayVerdict = {
    date,
    at: hhmm(atSlot * SLOT_MINUTES),
    baseline_days: baselineDays,
    excluded: [...excluded('volume', leftOut.volume), ...excluded('null_client', leftOut.nullClient)].sort(
      (a, b) => a.day.localeCompare(b.day),
    ),
    note: null,
    alerts: [],
  };
  if (baselineDays.length < rules.minBaselineDays) {
    verdict.note = `${baselineDays.length} baseline day(s) with events, ${rules.minBaselineDays} needed: not judged`;
    return verdict;
  }
  const baseline = baselineDays.map((d) => history.get(d)!);
  const sinceIso = (slot: number) => new Date(input.instantOf(date, slot * SLOT_MINUTES)).toISOString();
  const types = [...new Set(baseline.flatMap((d) => [...d.byType.keys()]))].sort();

  for (const type of types) {
    const series = today.byType.get(type) ?? [];
    const seriesOf = (d: IntradayDay) => d.byType.get(type) ?? [];
    const volume = volumeDrop(type, series, baseline.map(seriesOf), atSlot, rules, sinceIso);
    if (volume) verdict.alerts.push(volume);
    const silence = silenceOf(type, series, baseline.map(seriesOf), atSlot, rules, today.last.get(type));
    if (silence)
      verdict.alerts.push({
        ...silence,
        since: silence.since ?? sinceIso(atSlot - silence.observed / SLOT_MINUTES),
      });
  }
  const nullBaseline = baselineDaysOf(date, history, rules, leftOut.nullClient).map((d) => history.get(d)!);
  const nullRate =
    nullBaseline.length >= rules.minBaselineDays
      ? nullClientRate(today, nullBaseline, atSlot, rules, input.maxNullClientRate, sinceIso)
      : null;
  if (nullRate) verdict.alerts.push(nullRate);
  return verdict;
}

function volumeDrop(
  type: string,
  today: readonly number[],
  baseline: (readonly number[])[],
  atSlot: number,
  rules: IntradayRules,
  sinceIso: (slot: number) => string,
): IntradayAlert | null {
  const r = rules.volume;
  const windows = [
    ...r.windowsMinutes.map((m) => ({
      from: atSlot - Math.ceil(m / SLOT_MINUTES),
      label: `in the last ${m} min`,
      long: m >= 180,
    })),
    { from: 0, label: 'since midnight', long: true },
  ];
  let worst: IntradayAlert | null = null;
  for (const w of windows) {
    const from = Math.max(0, w.from);
    if (from >= atSlot) continue;
    const observed = sum(today, from, atSlot);
    const { mean, variance } = meanAndVariance(baseline.map((s) => sum(s, from, atSlot)));
    if (mean < r.minExpected) continue;
    const p = countCdf(observed, mean, Math.max(mean, variance));
    const drop = 1 - observed / mean;
    const severity =
      p < r.criticalP && drop >= r.criticalDrop
        ? 'CRITICAL'
        : w.long && p < r.warningP && drop >= r.warningDrop
          ? 'WARNING'
          : null;
    if (!severity || (worst && (worst.severity === 'CRITICAL' || severity === 'WARNING'))) continue;
    worst = {
      check: 'intraday_volume_drop',
      severity,
      event_name: type,
      message: `${type}: ${whole(observed)} events ${w.label}, against ${whole(mean)} on the baseline days (−${Math.round(drop * 100)}%; chance ${p.toExponential(1)})`,
      observed,
      expected: Number(mean.toFixed(1)),
      since: sinceIso(from),
    };
  }
  return worst;
}

/** Consecutive empty slots ending just before `end`. */
const emptyRun = (series: readonly number[], end: number) => {
  let n = 0;
  for (let i = end - 1; i >= 0 && (series[i] ?? 0) === 0; i--) n++;
  return n;
};

function silenceOf(
  type: string,
  today: readonly number[],
  baseline: (readonly number[])[],
  atSlot: number,
  rules: IntradayRules,
  lastMs: number | undefined,
): (Omit<IntradayAlert, 'since'> & { since: string | null }) | null {
  const r = rules.silence;
  const silentSlots = emptyRun(today, atSlot);
  const silentMinutes = silentSlots * SLOT_MINUTES;
  if (silentMinutes < r.floorMinutes) return null;
  // the silences the baseline days had around this hour
  const context = Math.ceil(r.contextMinutes / SLOT_MINUTES);
  const seen: number[] = [];
  for (const s of baseline) {
    for (let end = Math.max(1, atSlot - context); end <= Math.min(SLOTS_PER_DAY, atSlot + context); end++) {
      seen.push(emptyRun(s, end));
    }
  }
  seen.sort((a, b) => a - b);
  const learned = seen.length
    ? seen[Math.min(seen.length - 1, Math.floor(r.quantile * (seen.length - 1)))]!
    : 0;
  if (silentSlots <= learned) return null;
  const { mean, variance } = meanAndVariance(baseline.map((s) => sum(s, atSlot - silentSlots, atSlot)));
  const p = countCdf(0, mean, Math.max(mean, variance));
  if (p >= r.p) return null;
  const lastToday = lastMs !== undefined && silentSlots < atSlot ? lastMs : undefined;
  return {
    check: 'intraday_silence',
    severity: 'CRITICAL',
    event_name: type,
    message: `${type}: no event for ${silentMinutes} min; the baseline days were silent at most ${learned * SLOT_MINUTES} min around this hour and had ${whole(mean)} events in that span`,
    observed: silentMinutes,
    expected: learned * SLOT_MINUTES,
    since: lastToday !== undefined ? new Date(lastToday).toISOString() : null,
  };
}

function nullClientRate(
  today: IntradayDay,
  baseline: IntradayDay[],
  atSlot: number,
  rules: IntradayRules,
  limit: number,
  sinceIso: (slot: number) => string,
): IntradayAlert | null {
  const r = rules.nullClient;
  const from = Math.max(0, atSlot - Math.ceil(r.windowMinutes / SLOT_MINUTES));
  const n = sum(today.totals, from, atSlot);
  const k = sum(today.nullClients, from, atSlot);
  if (n < r.minEvents || k / n <= limit) return null;
  const baseN = baseline.reduce((a, d) => a + sum(d.totals, from, atSlot), 0);
  const baseK = baseline.reduce((a, d) => a + sum(d.nullClients, from, atSlot), 0);
  const p0 = baseN > 0 ? baseK / baseN : 0;
  const p = binomialSf(k, n, p0);
  if (p >= r.p) return null;
  return {
    check: 'intraday_null_client_rate',
    severity: 'CRITICAL',
    event_name: null,
    message: `${pct(k / n)} of events in the last ${r.windowMinutes} min have no client id, against ${pct(p0)} in the same hours of the baseline days (limit ${pct(limit)})`,
    observed: Number((k / n).toFixed(4)),
    expected: Number(p0.toFixed(4)),
    since: sinceIso(from),
  };
}
