/** Calendar dates as configuration and commands take them. */
import { z } from 'zod';

/** YYYY-MM-DD naming a day that exists (no 2025-02-30, no month 13). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

export const CalendarDateSchema = z
  .string()
  .refine(isCalendarDate, { message: 'not a calendar date (YYYY-MM-DD, a day that exists)' });
