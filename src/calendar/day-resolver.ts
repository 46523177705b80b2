/**
 * The calendar day (YYYY-MM-DD) of an instant in the monitor's IANA time zone.
 * Formatting a date is slow per event, so results are cached per 15-minute slot:
 * every zone offset in use is a multiple of 15 minutes, so a slot never spans midnight.
 */
const SLOT_MS = 15 * 60 * 1000;
const MAX_CACHED_SLOTS = 10_000;

export class DayResolver {
  private readonly format: Intl.DateTimeFormat | null;
  private readonly clock: Intl.DateTimeFormat | null;
  private readonly slots = new Map<number, string>();
  /** 15-minute slot → the local minute of day it starts at */
  private readonly slotMinutes = new Map<number, number>();

  constructor(readonly timeZone: string) {
    const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC';
    this.format = utc
      ? null
      : new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    this.clock = utc
      ? null
      : new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  /** Minutes since local midnight (0 … 1439) of an instant, in this zone. */
  minuteOfDay(epochMs: number): number {
    if (!this.clock) return Math.floor((((epochMs % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
    const slot = Math.floor(epochMs / SLOT_MS);
    let start = this.slotMinutes.get(slot);
    if (start === undefined) {
      const [h, m] = this.clock
        .format(slot * SLOT_MS)
        .split(':')
        .map(Number);
      start = h! * 60 + m!;
      if (this.slotMinutes.size >= MAX_CACHED_SLOTS) this.slotMinutes.clear();
      this.slotMinutes.set(slot, start);
    }
    return start + Math.floor((epochMs - slot * SLOT_MS) / 60_000);
  }

  /** The instant a local time of a day starts (epoch ms): the first instant whose day and minute match. */
  instantOf(day: string, minuteOfDay: number): number {
    // the zone's offset is within ±14 h: try the UTC reading shifted by each quarter-hour offset
    const naive = Date.parse(`${day}T00:00:00Z`) + minuteOfDay * 60_000;
    for (let offset = -14 * 60; offset <= 14 * 60; offset += 15) {
      const t = naive - offset * 60_000;
      if (this.dayOf(t) === day && this.minuteOfDay(t) === minuteOfDay) return t;
    }
    return naive;
  }

  dayOf(epochMs: number): string {
    const slot = Math.floor(epochMs / SLOT_MS);
    let day = this.slots.get(slot);
    if (day === undefined) {
      day = this.format
        ? this.format.format(epochMs) // en-CA formats as YYYY-MM-DD
        : new Date(epochMs).toISOString().slice(0, 10);
      if (this.slots.size >= MAX_CACHED_SLOTS) this.slots.clear();
      this.slots.set(slot, day);
    }
    return day;
  }

  /** The day before `day` (calendar arithmetic; zone-independent). */
  static previous(day: string, n = 1): string {
    const d = new Date(`${day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - n);
    return d.toISOString().slice(0, 10);
  }

  /** The `n` days ending with `day`, oldest first. */
  static lastDays(day: string, n: number): string[] {
    return Array.from({ length: n }, (_, i) => DayResolver.previous(day, n - 1 - i));
  }

  /** Whole days from `from` to `to` (negative when `to` is earlier). */
  static daysBetween(from: string, to: string): number {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  }

  /** 0 = Sunday … 6 = Saturday. */
  static weekday(day: string): number {
    return new Date(`${day}T00:00:00Z`).getUTCDay();
  }

  /** Yesterday in this zone, relative to `now`. */
  yesterday(now = Date.now()): string {
    return DayResolver.previous(this.dayOf(now));
  }
}
