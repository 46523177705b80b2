/**
 * The close-outs a scheduler missed while it was down: every day after the
 * last one closed, up to yesterday if its scheduled run has come today
 * (before that, yesterday's events may still be arriving). Never further back
 * than the state is kept, and nothing for a namespace never closed out (its
 * first close-out is the schedule's). Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';

export function missedCloseouts(o: {
  lastClosed: string | null;
  today: string;
  /** Whether today's scheduled run time has passed. */
  todaysRunPassed: boolean;
  /** Days the state is kept: older days cannot be closed out any more. */
  stateTtlDays: number;
}): string[] {
  if (o.lastClosed === null) return [];
  const last = o.todaysRunPassed ? DayResolver.previous(o.today) : DayResolver.previous(o.today, 2);
  const oldest = DayResolver.previous(o.today, o.stateTtlDays - 1);
  const out: string[] = [];
  for (let day = last; day > o.lastClosed && day >= oldest; day = DayResolver.previous(day)) out.push(day);
  return out.reverse();
}
