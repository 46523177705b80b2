/**
 * The intraday engine: the day so far, as of a time of day, against the same
 * hours of the baseline days, for every declaration in checks.ts by its kind.
 * Pure: the caller reads the slots.
 *
 * - volume_drop (per event type): the trailing windows and the day so far,
 *   each against the baseline days' counts in the same slots, judged as counts
 *   (countCdf); windows expecting fewer than `minExpected` events are not judged.
 * - silence (per event type): no event for longer than the longest silence
 *   the baseline days had around this hour, and that long without one
 *   unlikely under the baseline.
 * - null_rate: the trailing window's share of events without a client id
 *   above the limit and unlikely at the baseline hours' share.
 * - step_stop (per funnel role but page views): the step's events in the
 *   trailing window against the baseline days' rate per page view times
 *   today's page views, while page views go on.
 */
import { type IntradayDay, SLOT_MINUTES, SLOTS_PER_DAY } from '../aggregation/intraday.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import type { Severity } from '../checks/model.ts';
import type { EventRole } from '../config/formats/index.ts';
import type { IntradayRules } from '../config/monitor-config.ts';
import { INTRADAY_CHECKS, type IntradayCheckDeclaration, type IntradayCheckId } from './checks.ts';
import { binomialSf, countCdf, meanAndVariance } from './statistics.ts';

export interface IntradayAlert {
  check: IntradayCheckId;
  severity: Exclude<Severity, 'INFO'>;
  /** The event type (a step's names, joined by "|"); null: all events (the null client id rate). */
  event_name: string | null;
  message: string;
  observed: number;
  expected: number;
  /** When the condition began (ISO), as far as the slots tell. */
  since: string;
  /** Snoozed in the config: in the verdict, never notified. */
  snoozed: boolean;
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
  /** The event names of each funnel role (source.mapping.events), for the step checks. */
  roles: Readonly<Record<EventRole, readonly string[]>>;
  /** Checks snoozed on `date`: their alerts are kept, marked snoozed. */
  snoozed?: ReadonlySet<string>;
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
  const { date, atMinute, history, rules } = input;
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
  const judged: Judged = {
    input,
    atSlot,
    baseline: baselineDays.map((d) => history.get(d)!),
    types: [...new Set(baselineDays.flatMap((d) => [...history.get(d)!.byType.keys()]))].sort(),
    nullBaseline: baselineDaysOf(date, history, rules, leftOut.nullClient).map((d) => history.get(d)!),
    sinceIso: (slot) => new Date(input.instantOf(date, slot * SLOT_MINUTES)).toISOString(),
  };
  for (const check of INTRADAY_CHECKS) {
    for (const finding of judge(check, judged)) {
      verdict.alerts.push({
        check: check.id,
        severity: check.severity as IntradayAlert['severity'],
        ...finding,
        snoozed: input.snoozed?.has(check.id) ?? false,
      });
    }
  }
  return verdict;
}

/** What a kind finds: the alert but its check and snooze; a weaker finding may lower the severity. */
type Finding = Omit<IntradayAlert, 'check' | 'snoozed' | 'severity'> & {
  severity?: IntradayAlert['severity'];
};

/** The day as every kind judges it. */
interface Judged {
  input: IntradayInput;
  atSlot: number;
  /** The baseline days' slots (volume and silence), and those for the null client rate. */
  baseline: IntradayDay[];
  /** The event types the baseline days had. */
  types: string[];
  nullBaseline: IntradayDay[];
  sinceIso: (slot: number) => string;
}

/** The engine: each kind over the event types (or roles) it judges. */
function judge(c: IntradayCheckDeclaration, j: Judged): Finding[] {
  const { input, atSlot, baseline, types } = j;
  const { today, rules } = input;
  const seriesOf = (type: string) => (d: IntradayDay) => d.byType.get(type) ?? [];
  const found = (f: Finding | null) => (f ? [f] : []);
  switch (c.kind) {
    case 'volume_drop':
      return types.flatMap((type) =>
        found(
          volumeDrop(c, type, seriesOf(type)(today), baseline.map(seriesOf(type)), atSlot, rules, j.sinceIso),
        ),
      );
    case 'silence':
      return types.flatMap((type) => {
        const f = silenceOf(
          c,
          type,
          seriesOf(type)(today),
          baseline.map(seriesOf(type)),
          atSlot,
          rules,
          today.last.get(type),
        );
        return f ? [{ ...f, since: f.since ?? j.sinceIso(atSlot - f.observed / SLOT_MINUTES) }] : [];
      });
    case 'null_rate':
      return j.nullBaseline.length >= rules.minBaselineDays
        ? found(nullClientRate(c, today, j.nullBaseline, atSlot, rules, input.maxNullClientRate, j.sinceIso))
        : [];
    case 'step_stop':
      return stepStops(c, j);
  }
}

function volumeDrop(
  c: Extract<IntradayCheckDeclaration, { kind: 'volume_drop' }>,
  type: string,
  today: readonly number[],
  baseline: (readonly number[])[],
  atSlot: number,
  rules: IntradayRules,
  sinceIso: (slot: number) => string,
): Finding | null {
  const r = rules[c.parameters];
  const windows = [
    ...r.windowsMinutes.map((m) => ({
      from: atSlot - Math.ceil(m / SLOT_MINUTES),
      label: `in the last ${m} min`,
      long: m >= 180,
    })),
    { from: 0, label: 'since midnight', long: true },
  ];
  let worst: (Finding & { severity: IntradayAlert['severity'] }) | null = null;
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
      severity,
      event_name: type,
      message: c.message({ type, observed, expected: mean, window: w.label, p }),
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
  c: Extract<IntradayCheckDeclaration, { kind: 'silence' }>,
  type: string,
  today: readonly number[],
  baseline: (readonly number[])[],
  atSlot: number,
  rules: IntradayRules,
  lastMs: number | undefined,
): (Omit<Finding, 'since'> & { since: string | null }) | null {
  const r = rules[c.parameters];
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
    event_name: type,
    message: c.message({
      type,
      minutes: silentMinutes,
      learnedMinutes: learned * SLOT_MINUTES,
      expected: mean,
    }),
    observed: silentMinutes,
    expected: learned * SLOT_MINUTES,
    since: lastToday !== undefined ? new Date(lastToday).toISOString() : null,
  };
}

function nullClientRate(
  c: Extract<IntradayCheckDeclaration, { kind: 'null_rate' }>,
  today: IntradayDay,
  baseline: IntradayDay[],
  atSlot: number,
  rules: IntradayRules,
  limit: number,
  sinceIso: (slot: number) => string,
): Finding | null {
  const r = rules[c.parameters];
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
    event_name: null,
    message: c.message({ rate: k / n, expected: p0, windowMinutes: r.windowMinutes, limit }),
    observed: Number((k / n).toFixed(4)),
    expected: Number(p0.toFixed(4)),
    since: sinceIso(from),
  };
}

/** Per slot, the events of any of `names`. */
const seriesOfNames = (d: IntradayDay, names: readonly string[]) => {
  const out = new Array<number>(SLOTS_PER_DAY).fill(0);
  for (const name of names) {
    const series = d.byType.get(name) ?? [];
    for (let i = 0; i < series.length; i++) out[i]! += series[i]!;
  }
  return out;
};

function stepStops(c: Extract<IntradayCheckDeclaration, { kind: 'step_stop' }>, j: Judged): Finding[] {
  const { input, atSlot, baseline } = j;
  const r = input.rules[c.parameters];
  const from = Math.max(0, atSlot - Math.ceil(r.windowMinutes / SLOT_MINUTES));
  if (from >= atSlot) return [];
  const views = (d: IntradayDay) => sum(seriesOfNames(d, input.roles.pageView), from, atSlot);
  const viewsToday = views(input.today);
  const viewsBase = baseline.map(views);
  const { mean: viewsMean } = meanAndVariance(viewsBase);
  // page views down too: an outage, the volume checks' to name
  if (viewsMean <= 0 || viewsToday < r.minPageViewShare * viewsMean) return [];
  const out: Finding[] = [];
  for (const step of ['addToCart', 'checkoutStarted', 'purchase'] as const) {
    const names = input.roles[step];
    if (!names.length) continue;
    const observed = sum(seriesOfNames(input.today, names), from, atSlot);
    // each baseline day's step count at today's page views, by its own rate per page view
    const predicted = baseline
      .map((d, i) =>
        viewsBase[i]! > 0 ? (sum(seriesOfNames(d, names), from, atSlot) * viewsToday) / viewsBase[i]! : null,
      )
      .filter((v): v is number => v !== null);
    if (!predicted.length) continue;
    const { mean, variance } = meanAndVariance(predicted);
    if (mean < r.minExpected || observed > r.maxShare * mean) continue;
    const p = countCdf(observed, mean, Math.max(mean, variance));
    if (p >= r.p) continue;
    out.push({
      event_name: names.join('|'),
      message: c.message({
        step,
        names: names.join(', '),
        observed,
        expected: mean,
        pageViews: viewsToday,
        windowMinutes: r.windowMinutes,
        p,
      }),
      observed,
      expected: Number(mean.toFixed(1)),
      since: j.sinceIso(lastEventSlot(seriesOfNames(input.today, names), from, atSlot)),
    });
  }
  return out;
}

/** The slot after the step's last event in the window, or the window's start. */
function lastEventSlot(series: readonly number[], from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if ((series[i] ?? 0) > 0) return i + 1;
  return from;
}
