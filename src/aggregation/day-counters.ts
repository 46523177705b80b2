/**
 * What a day counts, as one typed object: totals, and counts per name (event
 * name, channel, device class, …). Batches fold into it, the state layer
 * stores it (src/state/counter-codec.ts names each counter in Redis and is
 * the only place that does), and the close-out and the gauges read it back.
 * Pure.
 */

/** Totals of the day. */
export const SCALAR_COUNTERS = [
  'events',
  'nullClient',
  'purchases',
  'revenueCents',
  'revenueDedupCents',
  'duplicateTransactions',
  /** Events applied after the day was closed out. */
  'lateEvents',
  'sessions',
  'sessionMs',
  'sessionPages',
  'sessionBounces',
  /** Runs of a client's events that arrived after it had started two newer sessions: left out. */
  'sessionStragglers',
  /** Batches written while a shard had fewer Redis replicas than required (a node lost, `available` policy). */
  'batchesWithoutReplica',
  /** Events delivered again with an event id the day already counted (a producer's retry): counted nowhere else. */
  'duplicateEvents',
] as const;

/** Counts per name. */
export const COUNTER_FAMILIES = [
  'eventNames',
  'missingFields',
  /** Events that carried a field under an alias (clientId for client_id). */
  'aliases',
  /** Events per field set (sorted field names, comma-separated). */
  'fieldSets',
  'schemaIds',
  /** Field problems on accepted events, by problemKey(kind, field). */
  'problems',
  'rejected',
  /** Events the tracking plan rejected, by event name (accepted ones are in eventNames). */
  'planRejected',
  /** Clients by first-touch channel. */
  'channels',
  'devices',
  /** Landings (events whose page URL carries utm_source) by source, bots excluded. */
  'utmSources',
  /** Sessions by length bucket: upper bound in seconds (SESSION_LENGTH_BUCKETS), or "inf". */
  'sessionLengths',
  /** Events without a client id, by event type and by device class: what drove a null-client-id alert. */
  'nullClientTypes',
  'nullClientDevices',
  /** Expected fields missing, by typeFieldKey(event type, field): which events lost a field. */
  'missingFieldTypes',
  /** Events by the funnel role their name plays (pageView, addToCart, checkoutStarted, purchase). */
  'roleEvents',
  /** Purchase revenue in cents by currency code ("unknown" where neither the event nor the config says). */
  'currencyRevenueCents',
  /** Purchases by currency code, as above. */
  'currencyPurchases',
  /** Events by the app release and by the tracker library version they carried (formats that carry them). */
  'appVersions',
  'trackerVersions',
] as const;

export type ScalarCounter = (typeof SCALAR_COUNTERS)[number];
export type CounterFamily = (typeof COUNTER_FAMILIES)[number];
export type DayCounters = Record<ScalarCounter, number> & Record<CounterFamily, Map<string, number>>;

/** Upper bounds (seconds) of the session length buckets; the apply script is given the same list. */
export const SESSION_LENGTH_BUCKETS = [0, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 'inf'] as const;

export function emptyCounters(): DayCounters {
  const c = {} as DayCounters;
  for (const s of SCALAR_COUNTERS) c[s] = 0;
  for (const f of COUNTER_FAMILIES) c[f] = new Map();
  return c;
}

export function bump(family: Map<string, number>, name: string, by = 1) {
  family.set(name, (family.get(name) ?? 0) + by);
}

/** The key of a field problem, as the report's `field_problems` names it. */
export const problemKey = (kind: string, field: string) => `${kind}:${field}`;

/** The key of a count per event type and field (an event type has no colon). */
export const typeFieldKey = (eventType: string, field: string) => `${eventType}:${field}`;

export function typeFieldOf(key: string): { eventType: string; field: string } {
  const sep = key.indexOf(':');
  return { eventType: key.slice(0, sep), field: key.slice(sep + 1) };
}

export function problemOf(key: string): { kind: string; field: string } {
  const sep = key.indexOf(':');
  return sep < 0 ? { kind: key, field: '' } : { kind: key.slice(0, sep), field: key.slice(sep + 1) };
}

/** A family as a plain record, zero counts left out (fromEntries: a name such as "__proto__" stays a key). */
export function recordOf(family: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...family].filter(([, v]) => v !== 0));
}
