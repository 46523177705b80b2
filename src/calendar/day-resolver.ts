/**
 * The calendar day (YYYY-MM-DD) of an instant in the monitor's IANA time zone.
 * Formatting a date is slow per event, so results are cached per 15-minute slot:
 * every zone offset in use is a multiple of 15 minutes, so a slot never spans midnight.
 */
const SLOT_MS = 15 * 60 * 1000;
const MAX_CACHED_SLOTS = 10_000;

export class DayResolver {
  private readonly format: Intl.DateTimeFormat | null;
  private readonly slots = new Map<number, string>();

  constructor(readonly timeZone: string) {
    this.format =
      timeZone === 'UTC' || timeZone === 'Etc/UTC'
        ? null
        : new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
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
