/**
 * What the intraday schedule found during a day, kept for the day's
 * close-out and for later baselines: each alert (a check on an event type)
 * as first and last seen by a run. The state layer keeps the two sightings
 * as opaque text (the first never overwritten, the last always); this module
 * says what they hold and what a day's record of them is. Pure.
 */
import { z } from 'zod';
import { SEVERITY_RANK, SeveritySchema } from '../checks/model.ts';
import type { IntradayVerdict } from './evaluate.ts';

/** One run's view of one alert. */
export const IntradaySightingSchema = z.object({
  check: z.string(),
  severity: SeveritySchema,
  event_name: z.string().nullable(),
  message: z.string(),
  observed: z.number(),
  expected: z.number(),
  /** When the condition began, as the run saw it (ISO). */
  since: z.string(),
  /** When the run that saw it ran (ISO). */
  at: z.string(),
  snoozed: z.boolean(),
});
export type IntradaySighting = z.infer<typeof IntradaySightingSchema>;

/** An intraday alert of the day, as the close-out reports it. */
export const IntradayRecordSchema = IntradaySightingSchema.pick({
  check: true,
  /** The worse of its first and last sighting. */
  severity: true,
  event_name: true,
  /** What the first run that raised it said. */
  message: true,
  /** When the condition began, as the first run saw it. */
  since: true,
  snoozed: true,
}).extend({
  /** The first and the last run that raised it (ISO). */
  first_seen: z.string(),
  last_seen: z.string(),
});
export type IntradayRecord = z.infer<typeof IntradayRecordSchema>;

/** The alert a sighting belongs to: its check and event type. */
export const sightingKey = (s: Pick<IntradaySighting, 'check' | 'event_name'>) =>
  JSON.stringify([s.check, s.event_name]);

/** A verdict's alerts as sightings by a run at `atMs` (epoch ms). */
export function sightingsOf(verdict: IntradayVerdict, atMs: number): IntradaySighting[] {
  const at = new Date(atMs).toISOString();
  return verdict.alerts.map((a) => ({
    check: a.check,
    severity: a.severity,
    event_name: a.event_name,
    message: a.message,
    observed: a.observed,
    expected: a.expected,
    since: a.since,
    at,
    snoozed: a.snoozed,
  }));
}

/** A verdict's sightings as the state keeps them: text under its alert's key. */
export const storedSightingsOf = (verdict: IntradayVerdict, atMs: number) =>
  sightingsOf(verdict, atMs).map((s) => ({ key: sightingKey(s), at: s.at, text: JSON.stringify(s) }));

/**
 * The day's record from the stored first and last sighting of each alert;
 * sightings of an unknown shape are passed over. Ordered by when each began.
 */
export function recordsOf(stored: readonly { first: string; last: string }[]): IntradayRecord[] {
  const parse = (text: string) => {
    try {
      const parsed = IntradaySightingSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };
  const out: IntradayRecord[] = [];
  for (const s of stored) {
    const first = parse(s.first);
    const last = parse(s.last) ?? first;
    if (!first || !last) continue;
    out.push({
      check: first.check,
      severity: SEVERITY_RANK[last.severity] > SEVERITY_RANK[first.severity] ? last.severity : first.severity,
      event_name: first.event_name,
      message: first.message,
      since: first.since,
      first_seen: first.at,
      last_seen: last.at > first.at ? last.at : first.at,
      snoozed: first.snoozed && last.snoozed,
    });
  }
  return out.sort(
    (a, b) =>
      a.since.localeCompare(b.since) ||
      a.check.localeCompare(b.check) ||
      (a.event_name ?? '').localeCompare(b.event_name ?? ''),
  );
}
