/**
 * Special days: holidays, promotions, anything a shop knows will not look like
 * an ordinary day. Each window names its kind; a day inside one is judged
 * against earlier days of its kind (`own_kind`) or not against baselines at
 * all (`skip`), and ordinary days leave every special day out of theirs.
 * The schema and the two questions both schedules ask of it. Pure.
 */
import { z } from 'zod';
import { CalendarDateSchema } from '../calendar/calendar-date.ts';
import { DayResolver } from '../calendar/day-resolver.ts';

export const SPECIAL_DAY_JUDGEMENTS = ['own_kind', 'skip'] as const;

export const SpecialDaysSchema = z
  .strictObject({
    name: z.string().min(1).describe('What the days are, as the reports name them ("Black Friday").'),
    kind: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "_" and "-"')
      .describe('Days of one kind are judged against each other ("promotion", "holiday").'),
    from: CalendarDateSchema.describe('The first day (YYYY-MM-DD)'),
    to: CalendarDateSchema.describe('The last day, inclusive'),
    judge: z
      .enum(SPECIAL_DAY_JUDGEMENTS)
      .default('own_kind')
      .describe(
        '`own_kind`: against earlier days of the same kind (not judged while too few are kept); `skip`: no baseline is judged on these days.',
      ),
  })
  .refine((w) => w.from <= w.to, 'need from <= to');
export type SpecialDays = z.infer<typeof SpecialDaysSchema>;

/** The window a day is in (the first listed that holds it), or null: an ordinary day. */
export function specialDaysOf(day: string, windows: readonly SpecialDays[]): SpecialDays | null {
  return windows.find((w) => w.from <= day && day <= w.to) ?? null;
}

/**
 * The days of `kind`'s windows before `day` and at most `lookbackDays` before
 * it, newest first: the days an `own_kind` baseline may draw on.
 */
export function daysOfKind(
  kind: string,
  day: string,
  windows: readonly SpecialDays[],
  lookbackDays: number,
): string[] {
  const earliest = DayResolver.previous(day, lookbackDays);
  const out = new Set<string>();
  for (const w of windows) {
    if (w.kind !== kind) continue;
    for (let d = w.to < day ? w.to : DayResolver.previous(day); d >= w.from && d >= earliest; ) {
      out.add(d);
      d = DayResolver.previous(d);
    }
  }
  return [...out].sort().reverse();
}
