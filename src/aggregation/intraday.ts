/**
 * Intraday tallies: per day, events per event type in fixed 10-minute slots
 * of event time (in the monitor's time zone), the events without a client id
 * and all events per slot, and each type's first and last event time per slot. They travel in
 * the day's delta and are applied under the same watermark as the counters,
 * so a replay of history builds the baselines the intraday checks compare
 * with. Pure.
 */

export const SLOT_MINUTES = 10;
export const SLOTS_PER_DAY = (24 * 60) / SLOT_MINUTES;
/** An event without a name, and one whose name is not a known event type (a sender's free text is no key). */
export const MISSING_EVENT_TYPE = '(missing)';
export const OTHER_EVENT_TYPE = '(other)';

export const slotOfMinute = (minuteOfDay: number) =>
  Math.min(SLOTS_PER_DAY - 1, Math.max(0, Math.floor(minuteOfDay / SLOT_MINUTES)));

/** One batch's intraday contribution to one day. */
export class IntradayTally {
  /** event type → slot → events */
  readonly counts = new Map<string, Map<number, number>>();
  /** slot → events without a client id */
  readonly nullClients = new Map<number, number>();
  /** slot → all events */
  readonly totals = new Map<number, number>();
  /** event type → slot → its first and last event time (epoch ms): where a gap begins and ends, to the second */
  readonly spans = new Map<string, Map<number, SlotSpan>>();

  add(slot: number, eventType: string, nullClient: boolean, tsMs: number) {
    let bySlot = this.counts.get(eventType);
    if (!bySlot) {
      bySlot = new Map();
      this.counts.set(eventType, bySlot);
    }
    bySlot.set(slot, (bySlot.get(slot) ?? 0) + 1);
    this.totals.set(slot, (this.totals.get(slot) ?? 0) + 1);
    if (nullClient) this.nullClients.set(slot, (this.nullClients.get(slot) ?? 0) + 1);
    let spans = this.spans.get(eventType);
    if (!spans) {
      spans = new Map();
      this.spans.set(eventType, spans);
    }
    const span = spans.get(slot);
    if (!span) spans.set(slot, { first: tsMs, last: tsMs });
    else {
      if (tsMs < span.first) span.first = tsMs;
      if (tsMs > span.last) span.last = tsMs;
    }
  }
}

/** The first and last event time (epoch ms) of a type in a slot. */
export interface SlotSpan {
  first: number;
  last: number;
}

/** A day's intraday state as read back: every series has SLOTS_PER_DAY entries. */
export interface IntradayDay {
  byType: Map<string, number[]>;
  nullClients: number[];
  totals: number[];
  /** event type → slot → first and last event time; empty for slots written before they were kept */
  spans: Map<string, Map<number, SlotSpan>>;
}

export const emptySeries = () => new Array<number>(SLOTS_PER_DAY).fill(0);
