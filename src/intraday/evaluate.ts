/**
 * The intraday engine: the day so far, as of a time of day, against the same
 * hours of the baseline days, for every declaration in checks.ts by its kind.
 * Pure: the caller reads the slots.
 *
 * - volume_drop (per event type): the trailing windows (from each 10-minute
 *   boundary within the longest; a partial drop only over the shortest or
 *   longer) and the day so far, each against the baseline days' counts in the
 *   same slots, judged as counts (countCdf); windows expecting fewer than
 *   `minExpected` events are not judged.
 * - silence (per event type): no event for longer than the longest silence
 *   the baseline days had around this hour, and that long without one
 *   unlikely under the baseline.
 * - null_rate: the trailing window's share of events without a client id
 *   above the limit and unlikely at the baseline hours' share.
 * - step_stop (per funnel role but page views): the step's events in the
 *   trailing window against the baseline days' rate per page view times
 *   today's page views, while page views go on.
 */
import { type IntradayDay, SLOT_MINUTES, SLOTS_PER_DAY, type SlotSpan } from '../aggregation/intraday.ts';
import { DayResolver } from '../calendar/day-resolver.ts';
import { SEVERITY_RANK, type Severity } from '../checks/model.ts';
import type { Override } from '../config/day-rules.ts';
import type { EventRole } from '../config/formats/index.ts';
import type { IntradayRules } from '../config/monitor-config.ts';
import { type SpecialDays, specialDaysOf } from '../config/special-days.ts';
import { INTRADAY_CHECKS, type IntradayCheckDeclaration } from './checks.ts';
import {
  binomialSf,
  countCdf,
  meanAndVariance,
  meanAndVarianceWithoutOutages,
  medianOf,
  robustMeanAndVariance,
} from './statistics.ts';

export interface IntradayAlert {
  /** The declaration's id (INTRADAY_CHECK_IDS, or a check given to the engine). */
  check: string;
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
  /** HH:MM: the time judged (the slots that ended by it counted; silences run to it) */
  at: string;
  baseline_days: string[];
  /** Days of the look-back left out of the baselines as incidents, with the close-out check that fired on them. */
  excluded: { day: string; check: string; baseline: 'volume' | 'null_client' }[];
  /** Why nothing was judged, when too few baseline days had events. */
  note: string | null;
  /** The configured overrides that applied to the day: the rules judged with came from them. */
  overrides: Override[];
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
  /** Holidays and promotions (baseline.specialDays): judged against their own kind, or not at all. */
  specialDays?: readonly SpecialDays[];
  /** The overrides `rules` and `maxNullClientRate` came from (config/day-rules.ts), named in the verdict. */
  overrides?: readonly Override[];
}

/** The close-out metrics whose incidents keep a day out of each intraday baseline (see checksAbout). */
export const INTRADAY_BASELINE_METRICS = {
  volume: ['event_count', 'page_views'],
  nullClient: ['null_client_rate'],
} as const;

const hasEvents = (d: IntradayDay | undefined) => d?.totals.some((n) => n > 0) ?? false;
/** A series' events in slots [from, to). */
const sum = (series: readonly number[], from: number, to: number) =>
  countIn(series, from * SLOT_MINUTES, to * SLOT_MINUTES);
const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** The days before `date` the intraday baselines may draw on, latest first. */
export const lookbackOf = (date: string, rules: IntradayRules): string[] =>
  Array.from({ length: rules.lookbackDays }, (_, i) => DayResolver.previous(date, i + 1));

/**
 * The days the day is compared with: the same weekday's when enough of them
 * have events, else the latest days; incident days left out. A special day
 * (a holiday, a promotion) is compared with the latest days of its kind
 * (none when it is to be skipped); an ordinary day never with a special one.
 */
export function baselineDaysOf(
  date: string,
  history: Map<string, IntradayDay>,
  rules: IntradayRules,
  leftOut: ReadonlyMap<string, string> = new Map(),
  specialDays: readonly SpecialDays[] = [],
): string[] {
  const special = specialDaysOf(date, specialDays);
  const kindOf = (d: string) => specialDaysOf(d, specialDays)?.kind ?? null;
  const candidates = lookbackOf(date, rules).filter(
    (d) => hasEvents(history.get(d)) && !leftOut.has(d) && kindOf(d) === (special?.kind ?? null),
  );
  if (special) return special.judge === 'skip' ? [] : candidates.slice(0, rules.baselineDays).sort();
  const weekday = DayResolver.weekday(date);
  const sameWeekday = candidates
    .filter((d) => DayResolver.weekday(d) === weekday)
    .slice(0, rules.sameWeekdayDays);
  const days =
    sameWeekday.length >= rules.minSameWeekdayDays ? sameWeekday : candidates.slice(0, rules.baselineDays);
  return days.sort();
}

export function evaluateIntraday(
  input: IntradayInput,
  checks: readonly IntradayCheckDeclaration[] = INTRADAY_CHECKS,
): IntradayVerdict {
  const { date, atMinute, history, rules } = input;
  const atSlot = Math.min(SLOTS_PER_DAY, Math.floor(atMinute / SLOT_MINUTES));
  const leftOut = input.leftOut ?? { volume: new Map(), nullClient: new Map() };
  const specialDays = input.specialDays ?? [];
  const baselineDays = baselineDaysOf(date, history, rules, leftOut.volume, specialDays);
  const inLookback = (d: string) => d < date && DayResolver.daysBetween(d, date) <= rules.lookbackDays;
  const excluded = (baseline: 'volume' | 'null_client', days: ReadonlyMap<string, string>) =>
    [...days].filter(([d]) => inLookback(d)).map(([day, check]) => ({ day, check, baseline }));
  const verdict: IntradayVerdict = {
    date,
    at: hhmm(Math.min(SLOTS_PER_DAY * SLOT_MINUTES, Math.floor(atMinute))),
    baseline_days: baselineDays,
    excluded: [...excluded('volume', leftOut.volume), ...excluded('null_client', leftOut.nullClient)].sort(
      (a, b) => a.day.localeCompare(b.day),
    ),
    note: null,
    overrides: [...(input.overrides ?? [])],
    alerts: [],
  };
  const special = specialDaysOf(date, specialDays);
  if (special?.judge === 'skip') {
    verdict.note = `${special.name} (${special.kind}): a special day, judged against no baseline (judge: skip): not judged`;
    return verdict;
  }
  if (baselineDays.length < rules.minBaselineDays) {
    const of = special ? ` of its kind (${special.name}, ${special.kind})` : '';
    verdict.note = `${baselineDays.length} baseline day(s)${of} with events, ${rules.minBaselineDays} needed: not judged`;
    return verdict;
  }
  const judged: Judged = {
    input: { ...input, today: withAllEvents(input.today) },
    atSlot,
    atMinute: Math.min(SLOTS_PER_DAY * SLOT_MINUTES, atMinute),
    baseline: baselineDays.map((d) => withAllEvents(history.get(d)!)),
    types: [
      ...[...new Set(baselineDays.flatMap((d) => [...history.get(d)!.byType.keys()]))].sort(),
      ALL_EVENTS,
    ],
    nullBaseline: baselineDaysOf(date, history, rules, leftOut.nullClient, specialDays).map(
      (d) => history.get(d)!,
    ),
    sinceIso: (slot) => new Date(input.instantOf(date, slot * SLOT_MINUTES)).toISOString(),
  };
  for (const check of checks) {
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

/** The series of every event together, judged beside each type's (its alerts name no type). */
export const ALL_EVENTS = '\u0000all events';
export const typeLabel = (type: string) => (type === ALL_EVENTS ? 'all events' : type);
export const eventNameOf = (type: string) => (type === ALL_EVENTS ? null : type);

/** A day with the series of all events (its totals) and their spans beside the types'. */
export function withAllEvents(d: IntradayDay): IntradayDay {
  const spans = new Map<number, SlotSpan>();
  for (const bySlot of d.spans.values())
    for (const [slot, s] of bySlot) {
      const all = spans.get(slot);
      if (!all) spans.set(slot, { ...s });
      else {
        all.first = Math.min(all.first, s.first);
        all.last = Math.max(all.last, s.last);
      }
    }
  return {
    ...d,
    byType: new Map([...d.byType, [ALL_EVENTS, d.totals]]),
    spans: new Map([...d.spans, [ALL_EVENTS, spans]]),
  };
}

/** What a kind finds: the alert but its check and snooze; a weaker finding may lower the severity. */
type Finding = Omit<IntradayAlert, 'check' | 'snoozed' | 'severity'> & {
  severity?: IntradayAlert['severity'];
};

/** The day as every kind judges it. */
interface Judged {
  input: IntradayInput;
  /** The slots that ended by the time judged: the counts judged. */
  atSlot: number;
  /** The time judged (minutes since midnight): silences run to it. */
  atMinute: number;
  /** The baseline days' slots (volume and silence), and those for the null client rate. */
  baseline: IntradayDay[];
  /** The event types the baseline days had. */
  types: string[];
  nullBaseline: IntradayDay[];
  sinceIso: (slot: number) => string;
}

/** The engine: each kind over the event types (or roles) it judges. */
function judge(c: IntradayCheckDeclaration, j: Judged): Finding[] {
  const { input, atSlot, types } = j;
  const { today, rules } = input;
  const found = (f: Finding | null) => (f ? [f] : []);
  switch (c.kind) {
    case 'volume_drop':
      return types.flatMap((type) => found(volumeDrop(c, type, j)));
    case 'silence':
      return types.flatMap((type) => found(silenceOf(c, type, j)));
    case 'null_rate':
      return j.nullBaseline.length >= rules.minBaselineDays
        ? found(nullClientRate(c, today, j.nullBaseline, atSlot, rules, input.maxNullClientRate, j.sinceIso))
        : [];
    case 'step_stop':
      return stepStops(c, j);
  }
}

/**
 * The count since each slot boundary of the last `max(windowsMinutes)` (a
 * scan over where a drop may have begun, as CUSUM does) and since midnight,
 * against the baseline days' at today's level; the worst window that
 * qualifies is the finding.
 */
function volumeDrop(
  c: Extract<IntradayCheckDeclaration, { kind: 'volume_drop' }>,
  type: string,
  j: Judged,
): Finding | null {
  const { atSlot, input } = j;
  const r = input.rules[c.parameters];
  const at = atSlot * SLOT_MINUTES;
  const longest = Math.max(...r.windowsMinutes);
  const shortest = Math.min(...r.windowsMinutes);
  const starts = new Set<number>([0]);
  for (let m = SLOT_MINUTES; m <= longest && m <= at; m += SLOT_MINUTES) starts.add(at - m);
  let worst: (Finding & { severity: IntradayAlert['severity']; deficit: number }) | null = null;
  for (const from of [...starts].sort((x, y) => y - x)) {
    const observed = countIn(input.today.byType.get(type) ?? [], from, at);
    // a partial drop over less than the shortest window is a dip traffic has by itself (a stop is not)
    if (observed > 0 && from > 0 && at - from < shortest) continue;
    const { mean, variance } = meanAndVarianceWithoutOutages(
      atTodaysLevel(j, type, from, at, input.rules.levelMinutes),
    );
    if (mean < r.minExpected) continue;
    const p = countCdf(observed, mean, Math.max(mean, variance));
    const drop = 1 - observed / mean;
    const long = from === 0 || at - from >= 180;
    const severity =
      p < r.criticalP && drop >= r.criticalDrop
        ? 'CRITICAL'
        : long && p < r.warningP && drop >= r.warningDrop
          ? 'WARNING'
          : null;
    if (!severity) continue;
    // of the windows at the worst severity, the one the drop most likely began at (the largest Poisson deviance)
    const d = deficitOf(observed, mean);
    const better =
      !worst ||
      SEVERITY_RANK[severity] > SEVERITY_RANK[worst.severity] ||
      (severity === worst.severity && d > worst.deficit);
    if (!better) continue;
    worst = {
      severity,
      deficit: d,
      event_name: eventNameOf(type),
      message: c.message({
        type: typeLabel(type),
        observed,
        expected: mean,
        window: from === 0 ? 'since midnight' : `in the last ${at - from} min`,
        p,
      }),
      observed,
      expected: Number(mean.toFixed(1)),
      since: j.sinceIso(from / SLOT_MINUTES),
    };
  }
  if (!worst) return null;
  const { deficit: _d, ...finding } = worst;
  return finding;
}

/** The Poisson deviance of a count below its mean: how strongly it says the rate fell. */
const deficitOf = (observed: number, mean: number) =>
  mean - observed + (observed > 0 ? observed * Math.log(observed / mean) : 0);

/** Consecutive empty slots ending just before `end`. */
const emptyRun = (series: readonly number[], end: number) => {
  let n = 0;
  for (let i = end - 1; i >= 0 && (series[i] ?? 0) === 0; i--) n++;
  return n;
};

/** A series' events in [from, to) minutes of the day, a slot cut by either end counted pro rata. */
export function countIn(series: readonly number[], from: number, to: number): number {
  let n = 0;
  for (
    let slot = Math.max(0, Math.floor(from / SLOT_MINUTES));
    slot * SLOT_MINUTES < to && slot < SLOTS_PER_DAY;
    slot++
  ) {
    const a = Math.max(from, slot * SLOT_MINUTES);
    const b = Math.min(to, (slot + 1) * SLOT_MINUTES);
    if (b > a) n += ((series[slot] ?? 0) * (b - a)) / SLOT_MINUTES;
  }
  return n;
}

/**
 * The minute of the day (fractional) of a type's last event before
 * `atMinute`, to the second where the slot's span was kept, else the slot's
 * end; null when it had none today. The slot under way counts once its first
 * event came before `atMinute`: as it happens, every event kept came before
 * it; judging a past moment, the slot may hold later ones, and its last event
 * is then taken as `atMinute` (no silence is made up).
 */
function lastEventBefore(j: Judged, type: string): { minute: number; ms: number } | null {
  const { today, date, instantOf } = j.input;
  const series = today.byType.get(type) ?? [];
  const current = Math.floor(j.atMinute / SLOT_MINUTES);
  for (let slot = Math.min(current, SLOTS_PER_DAY - 1); slot >= 0; slot--) {
    if ((series[slot] ?? 0) === 0) continue;
    const start = instantOf(date, slot * SLOT_MINUTES);
    const span = today.spans.get(type)?.get(slot);
    const end = Math.min(SLOT_MINUTES, j.atMinute - slot * SLOT_MINUTES);
    if (end <= 0) continue;
    // the slot under way: its first event may be after the time judged (a slot kept before spans were: not)
    if (slot === current && end < SLOT_MINUTES && span && (span.first - start) / 60_000 >= end) continue;
    const within = span === undefined ? end : Math.min(end, Math.max(0, (span.last - start) / 60_000));
    return { minute: slot * SLOT_MINUTES + within, ms: start + within * 60_000 };
  }
  return null;
}

/**
 * A sequential test from the type's last event: the longer nothing comes,
 * the more the baseline days expected in that span, until no event in it is
 * less likely than `p`. The expectation is the median baseline day's, with a
 * robust spread (MAD), and the learned silence is the median baseline day's
 * longest around this hour: one bad day in the baseline blinds nothing.
 */
function silenceOf(
  c: Extract<IntradayCheckDeclaration, { kind: 'silence' }>,
  type: string,
  j: Judged,
): Finding | null {
  const { atSlot, baseline } = j;
  const r = j.input.rules[c.parameters];
  const at = j.atMinute;
  const last = lastEventBefore(j, type);
  const silentFrom = last?.minute ?? 0;
  const silentMinutes = at - silentFrom;
  if (silentMinutes < r.floorMinutes) return null;
  const context = Math.ceil(r.contextMinutes / SLOT_MINUTES);
  const longest = baseline.map((d) => {
    const s = d.byType.get(type) ?? [];
    let most = 0;
    for (let end = Math.max(1, atSlot - context); end <= Math.min(SLOTS_PER_DAY, atSlot + context); end++)
      most = Math.max(most, emptyRun(s, end));
    return most * SLOT_MINUTES;
  });
  const learned = quantileOf(longest, r.quantile);
  if (silentMinutes <= learned) return null;
  const { mean, variance } = robustMeanAndVariance(
    atTodaysLevel(j, type, silentFrom, at, j.input.rules.levelMinutes),
  );
  const p = countCdf(0, mean, Math.max(mean, variance));
  if (p >= r.p) return null;
  const minutes = Math.round(silentMinutes);
  return {
    event_name: eventNameOf(type),
    message: c.message({ type: typeLabel(type), minutes, learnedMinutes: learned, expected: mean }),
    observed: minutes,
    expected: learned,
    since: last ? new Date(last.ms).toISOString() : j.sinceIso(0),
  };
}

/**
 * Each baseline day's count of a type in [from, to) minutes, scaled to
 * today's level: by today's count over the baseline day's in the
 * `levelMinutes` before `from`. A quiet Monday and a busy Saturday differ in
 * level far more than in the shape of their hours, and today's level is
 * known from today; where the minutes before hold too few events to tell
 * (the night), the counts are taken as they are.
 */
function atTodaysLevel(j: Judged, type: string, from: number, to: number, levelMinutes: number): number[] {
  const series = (d: IntradayDay) => d.byType.get(type) ?? [];
  const counts = j.baseline.map((d) => countIn(series(d), from, to));
  const before = Math.max(0, from - levelMinutes);
  const reference = j.baseline.map((d) => countIn(series(d), before, from));
  if (from - before < levelMinutes / 2 || medianOf(reference) < MIN_LEVEL_EVENTS) return counts;
  const today = countIn(series(j.input.today), before, from);
  return counts.map((n, i) => (reference[i]! > 0 ? (n * today) / reference[i]! : n));
}

/** Fewer events than this before a window (on the median baseline day) leave its counts unscaled. */
const MIN_LEVEL_EVENTS = 50;

/** The q-quantile of some values (nearest rank below). */
const quantileOf = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]! : 0;
};

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
