/**
 * The day's metrics, derived from its Redis snapshot alone. The names are a
 * contract: they are the JSON report's `metrics` object. Pure.
 */
import { z } from 'zod';
import { COUNTER } from '../aggregation/day-delta.ts';
import type { DaySnapshot } from '../aggregation/day-state.ts';
import { boundNames, EVENT_NAME, isOtherKey, looksLikeFieldSet, UTM_SOURCE } from './sender-names.ts';

const countMap = z.record(z.string(), z.number());

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
  // Traffic mix. Optional so that summaries stored before they existed still parse.
  /** Share of events by device class (bot is a class; shares sum to 1). */
  device_share: countMap.optional(),
  bot_share: z.number().optional(),
  /** Events without bots. */
  event_count_humans: z.number().int().optional(),
  /** Landings whose page URL carries utm_source (bots excluded). */
  utm_landings: z.number().int().optional(),
  /** Share of those landings by utm_source: the top sources, the rest as "other". */
  utm_source_share: countMap.optional(),
  // Sessions (bots excluded): a client's run of events with gaps of at most the session gap.
  sessions: z.number().int().optional(),
  session_length_mean_s: z.number().nullable().optional(),
  /** From length buckets (0, 10, 30, 60 s … 2 h), interpolated within the median's bucket. */
  session_length_median_s: z.number().nullable().optional(),
  /** Page views per session. */
  page_depth_mean: z.number().nullable().optional(),
  /** Share of sessions with exactly one page view. */
  bounce_rate: z.number().nullable().optional(),
  /** Event runs that arrived too late to be placed in a session (see the apply script). */
  session_stragglers: z.number().int().optional(),
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

/** Counters whose field starts with `prefix`, keyed by the rest of the field name. */
function withPrefix(counters: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters))
    if (k.startsWith(prefix) && v !== 0) out[k.slice(prefix.length)] = v;
  return out;
}

/** Shares of `counts` over their total: the `top` largest by name, the rest summed as "other". */
function topShares(counts: Record<string, number>, top: number): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const out: Record<string, number> = {};
  let rest = 0;
  ranked.forEach(([name, n], i) => {
    if (i < top && name !== 'other') out[name] = share(n, total);
    else rest += n; // a source literally named "other" joins the rest
  });
  if (rest > 0) out.other = share(rest, total);
  return out;
}

/** How many sender-chosen names that look right a report keeps besides the configured ones. */
export const SENDER_NAMES_TOP = 10;

export function dayMetrics(
  s: DaySnapshot,
  utmTopSources = 10,
  knownEventNames: ReadonlySet<string> = new Set(),
): DayMetrics {
  const c = s.counters;
  const events = c[COUNTER.events] ?? 0;
  const conversions = c[COUNTER.purchases] ?? 0;
  const revenue = (c[COUNTER.revenueCents] ?? 0) / 100;
  const channelCounts = withPrefix(c, 'channel:');
  const channel_share: Record<string, number> = {};
  for (const [ch, n] of Object.entries(channelCounts)) channel_share[ch] = share(n, s.clients);
  return {
    event_count: events,
    null_client_rate: share(c[COUNTER.nullClient] ?? 0, events),
    conversions,
    revenue,
    revenue_deduplicated: (c[COUNTER.revenueDedupCents] ?? 0) / 100,
    aov: conversions > 0 ? round(revenue / conversions, 4) : null,
    duplicate_transactions: c[COUNTER.duplicateTransactions] ?? 0,
    clients: s.clients,
    atc_rate: share(s.funnel.atc, s.clients),
    checkout_rate: share(s.funnel.checkout, s.clients),
    purchase_rate: share(s.funnel.purchase, s.clients),
    channel_share,
    event_types: boundNames(withPrefix(c, 'event:'), {
      keep: knownEventNames,
      looksLikeName: (n) => EVENT_NAME.test(n),
      top: SENDER_NAMES_TOP,
    }),
    missing_fields: withPrefix(c, 'missing:'),
    field_aliases: withPrefix(c, 'alias:'),
    rejected: withPrefix(c, 'rejected:'),
    field_problems: withPrefix(c, 'problem:'),
    late_events: c[COUNTER.lateEvents] ?? 0,
    ...trafficMix(c, events, utmTopSources),
    ...sessionMetrics(c),
  };
}

/** Upper bounds (seconds) of the session length buckets; the same list is in apply-day-batch.lua. */
export const SESSION_LENGTH_BUCKETS = [0, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 'inf'] as const;

function sessionMetrics(c: Record<string, number>) {
  const sessions = c[COUNTER.sessions] ?? 0;
  const per = (v: number, digits = 3) => (sessions > 0 ? round(v / sessions, digits) : null);
  return {
    sessions,
    session_length_mean_s: per((c[COUNTER.sessionMs] ?? 0) / 1000, 1),
    session_length_median_s: medianFromBuckets(withPrefix(c, 'session_len:'), sessions),
    page_depth_mean: per(c[COUNTER.sessionPages] ?? 0),
    bounce_rate: sessions > 0 ? share(c[COUNTER.sessionBounces] ?? 0, sessions) : null,
    session_stragglers: c[COUNTER.sessionStragglers] ?? 0,
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
function trafficMix(c: Record<string, number>, events: number, utmTopSources: number) {
  const devices = withPrefix(c, 'device:');
  const device_share: Record<string, number> = {};
  for (const [d, n] of Object.entries(devices)) device_share[d] = share(n, events);
  const bots = devices.bot ?? 0;
  const utm = boundNames(withPrefix(c, 'utm:'), {
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
    field_sets: boundNames(withPrefix(s.counters, 'fieldset:'), {
      looksLikeName: looksLikeFieldSet,
      top: SENDER_NAMES_TOP,
    }),
    schema_ids: withPrefix(s.counters, 'schema:'),
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
