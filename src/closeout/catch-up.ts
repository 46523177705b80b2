/**
 * The close-outs a scheduler missed while it was down: every day after the
 * last one closed, up to yesterday if its scheduled run has come today
 * (before that, yesterday's events may still be arriving). Nothing for a
 * namespace never closed out (its first close-out is the schedule's), and
 * nothing when the last close-out is further back than `maxDays`: that is a
 * namespace left idle or a replay of old days, not a scheduler restart, and
 * closing a month of empty days would page for each. Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';

export function missedCloseouts(o: {
  lastClosed: string | null;
  today: string;
  /** Whether today's scheduled run time has passed. */
  todaysRunPassed: boolean;
  /** The most days a restart catches up. */
  maxDays: number;
}): { days: string[]; tooFarBack: boolean } {
  if (o.lastClosed === null) return { days: [], tooFarBack: false };
  const last = o.todaysRunPassed ? DayResolver.previous(o.today) : DayResolver.previous(o.today, 2);
  const days: string[] = [];
  for (let day = last; day > o.lastClosed; day = DayResolver.previous(day)) {
    days.push(day);
    if (days.length > o.maxDays) return { days: [], tooFarBack: true };
  }
  return { days: days.reverse(), tooFarBack: false };
}
