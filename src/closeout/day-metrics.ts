/**
 * The day's metrics, derived from its Redis snapshot alone. The names are a
 * contract: they are the JSON report's `metrics` object. Pure.
 */
import { z } from 'zod';
import {
  type DayCounters,
  recordOf,
  SESSION_LENGTH_BUCKETS,
  typeFieldOf,
} from '../aggregation/day-counters.ts';
import { UNKNOWN_CURRENCY } from '../aggregation/day-delta.ts';
import { dictionary } from '../dictionary.ts';
import type { DaySnapshot } from '../state/commands.ts';
import { boundNames, EVENT_NAME, isOtherKey, looksLikeFieldSet, UTM_SOURCE } from './sender-names.ts';

const countMap = z.record(z.string(), z.number());
/**
 * A metric added after reports were first stored: every report has it, and
 * one closed before it existed reads it as null ("not measured"), never as a
 * missing key and never as zero.
 */
const measuredLater = <T extends z.ZodType>(metric: T) => metric.nullable().default(null);

export const DayMetricsSchema = z.object({
  event_count: z.number().int(),
  null_client_rate: z.number(),
  conversions: z.number().int(),
  revenue: z.number(),
  revenue_deduplicated: z.number(),
  aov: z.number().nullable(),
  duplicate_transactions: z.number().int(),
  clients: z.number().int(),
  atc_rate: z.number(),
  checkout_rate: z.number(),
  purchase_rate: z.number(),
  channel_share: countMap,
  event_types: countMap,
  missing_fields: countMap,
  field_aliases: countMap,
  rejected: countMap,
  /** Field problems on accepted events, "kind:field" → count. */
  field_problems: countMap,
  /** Events applied after the day was first closed out. */
  late_events: z.number().int(),
  // Traffic mix.
  /** Share of events by device class (bot is a class; shares sum to 1). */
  device_share: measuredLater(countMap),
  bot_share: measuredLater(z.number()),
  /** Events without bots. */
  event_count_humans: measuredLater(z.number().int()),
  /** Landings whose page URL carries utm_source (bots excluded). */
  utm_landings: measuredLater(z.number().int()),
  /** Share of those landings by utm_source: the top sources, the rest as "other". */
  utm_source_share: measuredLater(countMap),
  // Sessions (bots excluded): a client's run of events with gaps of at most the session gap.
  sessions: measuredLater(z.number().int()),
  session_length_mean_s: measuredLater(z.number()),
  /** From length buckets (0, 10, 30, 60 s … 2 h), interpolated within the median's bucket. */
  session_length_median_s: measuredLater(z.number()),
  /** Page views per session. */
  page_depth_mean: measuredLater(z.number()),
  /** Share of sessions with exactly one page view. */
  bounce_rate: measuredLater(z.number()),
  /** Event runs that arrived too late to be placed in a session (see the apply script). */
  session_stragglers: measuredLater(z.number().int()),
  // What a null-client-id or missing-field alert is made of.
  /** Events without a client id by event type, and by device class. */
  null_client_types: measuredLater(countMap),
  null_client_devices: measuredLater(countMap),
  /** Expected field → event type → events that lacked it. */
  missing_field_types: measuredLater(z.record(z.string(), countMap)),
  /** Batches written while their Redis shard had fewer replicas than configured. */
  batches_without_replica: measuredLater(z.number().int()),
  /** Events by the funnel role their name plays: pageView, addToCart, checkoutStarted, purchase. */
  role_events: measuredLater(countMap),
  /** Events delivered again with an event id the day had counted (counted here only). */
  duplicate_events: measuredLater(z.number().int()),
  /** Purchase revenue by ISO currency code ("unknown" where neither event nor config said). */
  revenue_by_currency: measuredLater(countMap),
  /**
   * The currency of `revenue` and `aov`: the configured one, else the day's (the one with the
   * most revenue when there are several); null when no purchase said. Revenue is never summed
   * across currencies: with several, `revenue` and `aov` are this one's, the rest are in
   * revenue_by_currency.
   */
  currency: measuredLater(z.string()),
  /** Events by app release and by tracker library version: the 10 most frequent that look like versions, the rest as "other". */
  app_versions: measuredLater(countMap),
  tracker_versions: measuredLater(countMap),
});
export type DayMetrics = z.infer<typeof DayMetricsSchema>;

/** What the day's events looked like on the wire: for schema drift. */
export const DaySchemaSchema = z.object({
  field_sets: countMap,
  schema_ids: countMap,
});
export type DaySchema = z.infer<typeof DaySchemaSchema>;

const round = (v: number, digits = 6) => Number(v.toFixed(digits));
const share = (part: number, whole: number) => (whole > 0 ? round(part / whole) : 0);

/** Shares of `counts` over their total: the `top` largest by name, the rest summed as "other". */
function topShares(counts: Record<string, number>, top: number): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const out = dictionary<number>();
  let rest = 0;
  ranked.forEach(([name, n], i) => {
    if (i < top && name !== 'other') out[name] = share(n, total);
    else rest += n; // a source literally named "other" joins the rest
  });
  if (rest > 0) out.other = share(rest, total);
  return out;
}

/**
 * The day's revenue and purchases in one currency: all of them when the day has one currency
 * (or its counters predate currencies); with several, the configured currency's, else the one
 * with the most revenue ("unknown" only when nothing else).
 */
function inOneCurrency(
  c: DayCounters,
  configured: string | null,
): { currency: string | null; revenueCents: number; purchases: number } {
  const codes = [...c.currencyRevenueCents.keys()].filter((k) => (c.currencyPurchases.get(k) ?? 0) > 0);
  if (codes.length <= 1) {
    const only = codes[0] ?? configured;
    return {
      currency: only === undefined || only === UNKNOWN_CURRENCY ? null : only,
      revenueCents: c.revenueCents,
      purchases: c.purchases,
    };
  }
  const ranked = codes
    .filter((k) => k !== UNKNOWN_CURRENCY)
    .sort(
      (a, b) =>
        (c.currencyRevenueCents.get(b) ?? 0) - (c.currencyRevenueCents.get(a) ?? 0) || a.localeCompare(b),
    );
  const main = configured !== null && codes.includes(configured) ? configured : ranked[0]!;
  return {
    currency: main,
    revenueCents: c.currencyRevenueCents.get(main) ?? 0,
    purchases: c.currencyPurchases.get(main) ?? 0,
  };
}

/** Versions are sender text: the report keeps the most frequent that look like one. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}$/;
const versionBounds = { keep: new Set<string>(), looksLikeName: (v: string) => VERSION.test(v), top: 10 };

/** How many sender-chosen names that look right a report keeps besides the configured ones. */
export const SENDER_NAMES_TOP = 10;

export function dayMetrics(
  s: DaySnapshot,
  utmTopSources = 10,
  knownEventNames: ReadonlySet<string> = new Set(),
  /** source.currency: the currency the shop reports in. */
  configuredCurrency: string | null = null,
): DayMetrics {
  const c = s.counters;
  const events = c.events;
  const conversions = c.purchases;
  const money = inOneCurrency(c, configuredCurrency);
  const revenue = money.revenueCents / 100;
  const channel_share = dictionary<number>();
  for (const [ch, n] of Object.entries(recordOf(c.channels))) channel_share[ch] = share(n, s.clients);
  return {
    event_count: events,
    null_client_rate: share(c.nullClient, events),
    conversions,
    revenue,
    revenue_deduplicated: c.revenueDedupCents / 100,
    aov: money.purchases > 0 ? round(revenue / money.purchases, 4) : null,
    duplicate_transactions: c.duplicateTransactions,
    clients: s.clients,
    atc_rate: share(s.funnel.atc, s.clients),
    checkout_rate: share(s.funnel.checkout, s.clients),
    purchase_rate: share(s.funnel.purchase, s.clients),
    channel_share,
    event_types: boundNames(recordOf(c.eventNames), {
      keep: knownEventNames,
      looksLikeName: (n) => EVENT_NAME.test(n),
      top: SENDER_NAMES_TOP,
    }),
    missing_fields: recordOf(c.missingFields),
    field_aliases: recordOf(c.aliases),
    rejected: recordOf(c.rejected),
    field_problems: recordOf(c.problems),
    late_events: c.lateEvents,
    batches_without_replica: c.batchesWithoutReplica,
    null_client_types: recordOf(c.nullClientTypes),
    null_client_devices: recordOf(c.nullClientDevices),
    missing_field_types: missingByType(c),
    role_events: recordOf(c.roleEvents),
    duplicate_events: c.duplicateEvents,
    currency: money.currency,
    app_versions: boundNames(recordOf(c.appVersions), versionBounds),
    tracker_versions: boundNames(recordOf(c.trackerVersions), versionBounds),
    revenue_by_currency: Object.fromEntries(
      [...c.currencyRevenueCents]
        .filter(([, cents]) => cents !== 0)
        .map(([code, cents]) => [code, cents / 100]),
    ),
    ...trafficMix(c, events, utmTopSources),
    ...sessionMetrics(c),
  };
}

/** field → event type → count, from "type:field" keys. */
function missingByType(c: DayCounters): Record<string, Record<string, number>> {
  const byField = new Map<string, [string, number][]>();
  for (const [key, n] of c.missingFieldTypes) {
    if (n === 0) continue;
    const { eventType, field } = typeFieldOf(key);
    byField.set(field, [...(byField.get(field) ?? []), [eventType, n]]);
  }
  return Object.fromEntries([...byField].map(([field, types]) => [field, Object.fromEntries(types)]));
}

function sessionMetrics(c: DayCounters) {
  const sessions = c.sessions;
  const per = (v: number, digits = 3) => (sessions > 0 ? round(v / sessions, digits) : null);
  return {
    sessions,
    session_length_mean_s: per(c.sessionMs / 1000, 1),
    session_length_median_s: medianFromBuckets(recordOf(c.sessionLengths), sessions),
    page_depth_mean: per(c.sessionPages),
    bounce_rate: sessions > 0 ? share(c.sessionBounces, sessions) : null,
    session_stragglers: c.sessionStragglers,
  };
}

/**
 * Median session length in seconds from counts per bucket (keyed by upper bound
 * in seconds, "inf" for the last): linear within the bucket that holds it; the
 * open last bucket reports its lower bound.
 */
export function medianFromBuckets(buckets: Record<string, number>, total: number): number | null {
  if (total <= 0) return null;
  const half = total / 2;
  let below = 0;
  let lower = 0;
  for (const upper of SESSION_LENGTH_BUCKETS) {
    const n = buckets[String(upper)] ?? 0;
    if (n > 0 && below + n >= half) {
      if (upper === 'inf') return lower;
      return round(lower + ((half - below) / n) * (upper - lower), 1);
    }
    below += n;
    if (upper !== 'inf') lower = upper;
  }
  return lower;
}
function trafficMix(c: DayCounters, events: number, utmTopSources: number) {
  const devices = recordOf(c.devices);
  const device_share = dictionary<number>();
  for (const [d, n] of Object.entries(devices)) device_share[d] = share(n, events);
  const bots = devices.bot ?? 0;
  const utm = boundNames(recordOf(c.utmSources), {
    looksLikeName: (n) => UTM_SOURCE.test(n),
    top: Number.POSITIVE_INFINITY, // topShares keeps the top few
  });
  return {
    device_share,
    bot_share: share(bots, events),
    event_count_humans: events - bots,
    utm_landings: Object.values(utm).reduce((a, b) => a + b, 0),
    utm_source_share: topShares(utm, utmTopSources),
  };
}

export function daySchema(s: DaySnapshot): DaySchema {
  return {
    field_sets: boundNames(recordOf(s.counters.fieldSets), {
      looksLikeName: looksLikeFieldSet,
      top: SENDER_NAMES_TOP,
    }),
    schema_ids: recordOf(s.counters.schemaIds),
  };
}

/** Every field name seen on the day, across all field sets. */
export function fieldNamesOf(schema: DaySchema): Set<string> {
  const names = new Set<string>();
  for (const set of Object.keys(schema.field_sets)) {
    if (isOtherKey(set)) continue; // folded sets name no field
    for (const f of set.split(',')) if (f) names.add(f);
  }
  return names;
}
