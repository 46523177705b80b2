/**
 * The metrics checks and baselines speak of, by name: a scalar of the day's
 * metrics, or one key of a share map ("device_share:mobile"). The one place
 * that knows how each is read from a day's metrics, so the close-out, the
 * stored baselines and the reports agree on what a name means. Pure.
 */
import type { DayMetrics } from '../day-metrics.ts';

const SCALARS = {
  event_count: (m: DayMetrics) => m.event_count,
  null_client_rate: (m: DayMetrics) => m.null_client_rate,
  revenue: (m: DayMetrics) => m.revenue,
  conversions: (m: DayMetrics) => m.conversions,
  aov: (m: DayMetrics) => m.aov,
  /** Events in the page-view role (days closed before roles existed: the flat export's page_viewed). */
  page_views: (m: DayMetrics) =>
    m.role_events?.pageView ?? (m.role_events ? 0 : (m.event_types.page_viewed ?? 0)),
  /** Events in the purchase role, with or without their payload. */
  purchase_events: (m: DayMetrics) =>
    m.role_events?.purchase ?? (m.role_events ? 0 : (m.event_types.checkout_completed ?? 0)),
  duplicate_events: (m: DayMetrics) => m.duplicate_events ?? 0,
  duplicate_transactions: (m: DayMetrics) => m.duplicate_transactions,
  session_length_mean_s: (m: DayMetrics) => m.session_length_mean_s,
  page_depth_mean: (m: DayMetrics) => m.page_depth_mean,
  bot_share: (m: DayMetrics) => m.bot_share,
  batches_without_replica: (m: DayMetrics) => m.batches_without_replica ?? 0,
} satisfies Record<string, (m: DayMetrics) => number | null>;

/**
 * Share maps. A day that had the map counts a missing key as 0; a day closed
 * before the map existed (or with no UTM landings) has no value.
 */
const SHARES = {
  channel_share: (m: DayMetrics) => m.channel_share,
  device_share: (m: DayMetrics) => m.device_share,
  utm_source_share: (m: DayMetrics) => (m.utm_landings ? m.utm_source_share : null),
  /** Events by type (counts, not shares: what a volume change is made of). */
  event_types: (m: DayMetrics) => m.event_types,
  /** Events without a client id, by event type and by device class (counts). */
  null_client_types: (m: DayMetrics) => m.null_client_types,
  null_client_devices: (m: DayMetrics) => m.null_client_devices,
  /** Events by device class, from the shares (counts). */
  device_events: (m: DayMetrics) =>
    m.device_share &&
    Object.fromEntries(Object.entries(m.device_share).map(([d, s]) => [d, Math.round(s * m.event_count)])),
} satisfies Record<string, (m: DayMetrics) => Record<string, number> | null>;

export type ScalarMetric = keyof typeof SCALARS;
export type ShareMetric = keyof typeof SHARES;
export type MetricRef = ScalarMetric | `${ShareMetric}:${string}`;

export const shareRef = (family: ShareMetric, key: string): MetricRef => `${family}:${key}`;

/** A share map of a day; null where the day has none. */
export const shareMap = (m: DayMetrics, family: ShareMetric): Record<string, number> | null =>
  SHARES[family](m);

/** The keys of a share map on a day (none where the day has no such map). */
export const shareKeys = (m: DayMetrics, family: ShareMetric): string[] =>
  Object.keys(SHARES[family](m) ?? {});

export function metricValue(m: DayMetrics, ref: MetricRef): number | null {
  const colon = ref.indexOf(':');
  if (colon === -1) return SCALARS[ref as ScalarMetric](m);
  const map = SHARES[ref.slice(0, colon) as ShareMetric](m);
  return map ? (map[ref.slice(colon + 1)] ?? 0) : null;
}
