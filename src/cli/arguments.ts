/** Parsers of command-line values shared by the CLI, the demo and the benches (commander's argParser). */
import { InvalidArgumentError } from 'commander';
import { isCalendarDate } from '../calendar/calendar-date.ts';

/** A whole number within [min, max]; the error says the range. */
export const wholeNumberIn =
  (min: number, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.POSITIVE_INFINITY
          ? `a whole number, ${min} or more`
          : `a whole number, ${min} to ${max}`,
      );
    return n;
  };

/** A calendar day, YYYY-MM-DD, that exists. */
export function calendarDay(v: string): string {
  if (!isCalendarDate(v)) throw new InvalidArgumentError('use YYYY-MM-DD, a day that exists');
  return v;
}
