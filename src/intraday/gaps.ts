/**
 * The day's gaps: spans without a single event, of all events and of each
 * type, that the baseline days call unlikely. For the close-out of a whole
 * day: each gap runs from the last event before it to the first after it
 * (to the second where the slots kept their first and last event times),
 * and its expectation is the baseline days' count in the same span at the
 * day's own level (by the day's events outside the gap over theirs). Pure.
 */
import { z } from 'zod';
import { type IntradayDay, SLOT_MINUTES, SLOTS_PER_DAY } from '../aggregation/intraday.ts';
import { ALL_EVENTS, countIn, eventNameOf, withAllEvents } from './evaluate.ts';
import { countCdf, robustMeanAndVariance } from './statistics.ts';

export const DayGapSchema = z.object({
  /** The event type; null: all events (the stream as a whole). */
  event_name: z.string().nullable(),
  /** The last event before the gap (ISO), or the day's start. */
  start: z.string(),
  /** The first event after it (ISO), or the day's end. */
  end: z.string(),
  /** The same two instants as local times of the day (HH:MM:SS; 24:00:00 for its end). */
  local_start: z.string(),
  local_end: z.string(),
  minutes: z.number(),
  /** Events the baseline days had in that span, at the day's level. */
  expected: z.number(),
  /** How likely no event at all in it is under the baseline. */
  p: z.number(),
});
export type DayGap = z.infer<typeof DayGapSchema>;

export interface DayGapInput {
  date: string;
  day: IntradayDay;
  baseline: IntradayDay[];
  /** Epoch ms of a local time of a day (DayResolver.instantOf). */
  instantOf: (day: string, minuteOfDay: number) => number;
  /** Gaps at least this unlikely are listed. */
  maxP: number;
}

/** Silences shorter than a slot are never gaps: the slots cannot place them. */
const MIN_GAP_MINUTES = SLOT_MINUTES;

export function dayGaps(input: DayGapInput): DayGap[] {
  const day = withAllEvents(input.day);
  const baseline = input.baseline.map(withAllEvents);
  const types = [ALL_EVENTS, ...[...input.day.byType.keys()].sort()];
  const out: DayGap[] = [];
  for (const type of types) {
    const series = (d: IntradayDay) => d.byType.get(type) ?? [];
    const total = (d: IntradayDay) => series(d).reduce((a, b) => a + b, 0);
    for (const silence of silencesOf(input, day, type)) {
      const counts = baseline.map((d) => {
        const inGap = countIn(series(d), silence.from, silence.to);
        const outside = total(d) - inGap;
        const todayOutside = total(day);
        return outside > 0 ? (inGap * todayOutside) / outside : inGap;
      });
      const { mean, variance } = robustMeanAndVariance(counts);
      const p = countCdf(0, mean, Math.max(mean, variance));
      if (p >= input.maxP) continue;
      out.push({
        event_name: eventNameOf(type),
        start: new Date(silence.fromMs).toISOString(),
        end: new Date(silence.toMs).toISOString(),
        local_start: clock(silence.from),
        local_end: clock(silence.to),
        minutes: Math.round(silence.to - silence.from),
        expected: Number(mean.toFixed(1)),
        p,
      });
    }
  }
  return out;
}

/** The spans between consecutive events of a type (and before the first, after the last), in minutes of the day and ms. */
function silencesOf(input: DayGapInput, day: IntradayDay, type: string) {
  const { date, instantOf } = input;
  const series = day.byType.get(type) ?? [];
  const spans = day.spans.get(type);
  const at = (slot: number, ms: number | undefined, fallback: number) => {
    const start = instantOf(date, slot * SLOT_MINUTES);
    const within = ms === undefined ? fallback : Math.min(SLOT_MINUTES, Math.max(0, (ms - start) / 60_000));
    return { minute: slot * SLOT_MINUTES + within, ms: start + within * 60_000 };
  };
  const silences: { from: number; to: number; fromMs: number; toMs: number }[] = [];
  let previous = { minute: 0, ms: instantOf(date, 0) };
  for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
    if ((series[slot] ?? 0) === 0) continue;
    const span = spans?.get(slot);
    const first = at(slot, span?.first, 0);
    if (first.minute - previous.minute >= MIN_GAP_MINUTES)
      silences.push({ from: previous.minute, to: first.minute, fromMs: previous.ms, toMs: first.ms });
    previous = at(slot, span?.last, SLOT_MINUTES);
  }
  const endOfDay = { minute: SLOTS_PER_DAY * SLOT_MINUTES, ms: instantOf(date, 24 * 60 - 1) + 60_000 };
  if (endOfDay.minute - previous.minute >= MIN_GAP_MINUTES)
    silences.push({ from: previous.minute, to: endOfDay.minute, fromMs: previous.ms, toMs: endOfDay.ms });
  return silences;
}

/** HH:MM:SS of a (fractional) minute of the day. */
function clock(minute: number): string {
  const seconds = Math.round(minute * 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}
