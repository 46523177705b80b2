/**
 * The key layout, and the only place that knows it. Every key of one day
 * shares the hash tag {namespace:day}, so one script can update a day
 * atomically and the layout works on Redis Cluster; namespace-wide keys
 * share {namespace}. Each script's KEYS order is fixed here and handed to the
 * script by name (scripts.ts), so no script addresses a key by position.
 */

/** The keys of one day. */
export const DAY_KEYS = {
  /** hash: counter name → count (counter-codec.ts names them) */
  counters: 'counters',
  /** hash: "topic/partition" → last Kafka offset folded into this day (the exactly-once watermark) */
  applied: 'applied',
  /** hash: transaction id → "ts|cents" of its earliest occurrence */
  tx: 'tx',
  /** hash: client → its first touch (time and channel of its earliest event of the day) and latest two sessions (lua/includes/clients.lua) */
  clients: 'clients',
  /** sets of clients that reached each funnel stage */
  atc: 'funnel:atc',
  checkout: 'funnel:checkout',
  purchase: 'funnel:purchase',
  /** string: the close-out report; exists once the day was closed out */
  summary: 'summary',
  /**
   * The layout before `clients`: first touches and sessions in two hashes. A
   * day still holding them is moved into `clients` by the next apply; the
   * clients of a day never written since are counted from its first touches.
   */
  legacyFirstTouch: 'first_touch',
  legacySessions: 'sessions',
  /** hash: tracking-plan violations per (event, path, rule) (lua/includes/violations.lua) */
  contract: 'contract',
  /** hash: events per type and 10-minute slot, null-client and all events per slot (intraday-codec.ts) */
  intraday: 'intraday',
  /** set: the event ids the day counted (source.eventIdWindowHours), so a retried send counts once */
  eventIds: 'event_ids',
  /** hash: "first"|"last" TAB alert key → the intraday schedule's first and latest sighting of an alert (intraday-alert-log.ts) */
  intradayAlerts: 'intraday_alerts',
} as const;
export type DayKey = keyof typeof DAY_KEYS;

/** KEYS of apply-day-batch.lua, in order; the duplicate look-back's transaction hashes follow. */
export const APPLY_DAY_BATCH_KEYS = [
  'counters',
  'applied',
  'tx',
  'clients',
  'atc',
  'checkout',
  'purchase',
  'summary',
  'contract',
  'intraday',
  'legacyFirstTouch',
  'legacySessions',
  'eventIds',
] as const satisfies readonly DayKey[];

/** KEYS of read-day.lua, in order. */
export const READ_DAY_KEYS = [
  'counters',
  'clients',
  'atc',
  'checkout',
  'purchase',
  'summary',
  'contract',
  'legacyFirstTouch',
] as const satisfies readonly DayKey[];

export class StateKeys {
  constructor(readonly namespace: string) {}

  dayKey(day: string, key: DayKey): string {
    return `em:{${this.namespace}:${day}}:${DAY_KEYS[key]}`;
  }

  /** The keys a script takes for `day`, in the script's order. */
  forScript(names: readonly DayKey[], day: string): string[] {
    return names.map((k) => this.dayKey(day, k));
  }

  /** Field sets and schema ids seen in this namespace within the state's TTL (sorted set, scored by when last seen). */
  shapes(): string {
    return `em:{${this.namespace}}:shapes`;
  }

  /** The last close-out's outcome (hash). */
  closeout(): string {
    return `em:{${this.namespace}}:closeout`;
  }

  /** Closed days, scored by day number (sorted set). */
  closedDays(): string {
    return `em:{${this.namespace}}:closed_days`;
  }

  /** SCAN pattern of every per-day key of the namespace. */
  dayKeysPattern(): string {
    return `em:{${this.namespace}:*`;
  }

  /** People's verdicts on alerts (hash: "day<TAB>check" → JSON). */
  feedback(): string {
    return `em:{${this.namespace}}:feedback`;
  }

  /** The namespace-wide keys. */
  namespaceKeys(): string[] {
    return [this.closeout(), this.closedDays(), this.shapes(), this.feedback()];
  }
}
