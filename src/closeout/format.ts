/**
 * Number formats shared by the alert messages and the text and HTML reports. Pure.
 */
import { DayResolver } from '../calendar/day-resolver.ts';
export const count = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
/** An amount with its ISO currency code ("USD 1,234.50"); without one when no event or config named it. */
export const money = (v: number, currency?: string | null) => {
  const amount = v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return currency ? `${currency} ${amount}` : amount;
};
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Minutes since the local midnight of `day` of an instant (ISO), in the report's time zone: 0 … 1440. */
export function localMinuteOf(iso: string, day: string, timezone: string): number {
  const days = new DayResolver(timezone);
  const t = Date.parse(iso);
  const d = days.dayOf(t);
  if (d < day) return 0;
  if (d > day) return 1440;
  return days.minuteOfDay(t);
}

/** A minute of the day as HH:MM (24:00 for the day's end). */
export const clockOf = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
