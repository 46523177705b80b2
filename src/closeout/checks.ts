/**
 * The close-out checks. Pure: metrics, baselines and thresholds in, alerts out.
 * An alert fires strictly beyond its threshold: equal is not an alert.
 */
import type { MonitorConfig, Thresholds } from '../config/monitor-config.ts';
import { DayResolver } from '../validation/day.ts';
import type { Baseline, ZScore } from './baseline.ts';
import { type DayMetrics, type DaySchema, fieldNamesOf } from './day-metrics.ts';
import { money, count as n, pct } from './format.ts';

export type Severity = 'CRITICAL' | 'WARNING' | 'INFO';
export const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 3, WARNING: 2, INFO: 1 };

export interface Alert {
  check: string;
  severity: Severity;
  message: string;
  value: number | string | null;
  threshold: number | string | null;
  snoozed: boolean;
}

export interface CheckInput {
  day: string;
  metrics: DayMetrics;
  schema: DaySchema;
  /** The latest closed day before this one, for schema drift; null if none. */
  previousSchema: DaySchema | null;
  zscores: {
    revenue: ZScore | null;
    aov: ZScore | null;
    conversions: ZScore | null;
    event_count: ZScore | null;
  };
  baselines: { event_count: Baseline | null; page_views: Baseline | null };
  traffic: TrafficBaselines;
  thresholds: Thresholds;
  expectedFields: string[];
  fieldAliases: Record<string, string>;
  expectedChannels: string[];
}

export interface TrafficBaselines {
  session_length: ZScore | null;
  page_depth: ZScore | null;
  bot_share: ZScore | null;
  /** Per device class: the baseline of its share of events. */
  device_share: Record<string, Baseline | null>;
  /** Today's leading utm_source and the baseline of its share of UTM landings. */
  top_utm_source: { source: string; baseline: Baseline | null } | null;
}

/** The utm_source with the largest share of the day's UTM landings ("other" is not a source). */
export function leadingUtmSource(m: DayMetrics): string | null {
  const ranked = Object.entries(m.utm_source_share ?? {})
    .filter(([source]) => source !== 'other')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return ranked[0]?.[0] ?? null;
}

type Fire = (
  check: string,
  severity: Severity,
  message: string,
  value: Alert['value'],
  threshold: Alert['threshold'],
) => void;

/**
 * A WARNING when |z| is strictly beyond `limit` and, if `minChange` is set, the
 * value also moved that share of the mean: a very steady metric has a tiny std.
 */
function zAlert(
  fire: Fire,
  check: string,
  label: string,
  z: ZScore | null,
  limit: number,
  fmt: (v: number) => string,
  minChange = 0,
) {
  if (!z || Math.abs(z.z) <= limit) return;
  if (minChange > 0 && (z.mean === 0 || Math.abs(z.z * z.std) / Math.abs(z.mean) <= minChange)) return;
  fire(
    check,
    'WARNING',
    `${label} is ${sign(z.z)} average (${fmt(z.mean)}), z=${z.z.toFixed(2)}`,
    Number(z.z.toFixed(4)),
    limit,
  );
}

const sign = (z: number) => `${Math.abs(z).toFixed(1)} std ${z < 0 ? 'below' : 'above'}`;

/** Thresholds for a day: defaults, then every matching override in order (later wins). */
export function thresholdsFor(
  day: string,
  config: Pick<MonitorConfig, 'thresholds' | 'overrides'>,
): Thresholds {
  const weekday = DayResolver.weekday(day);
  let t = { ...config.thresholds };
  for (const o of config.overrides) {
    if (o.weekdays && !o.weekdays.includes(weekday)) continue;
    if (o.from && day < o.from) continue;
    if (o.to && day > o.to) continue;
    t = { ...t, ...o.thresholds };
  }
  return t;
}

export function runChecks(i: CheckInput): Omit<Alert, 'snoozed'>[] {
  const m = i.metrics;
  const t = i.thresholds;
  const out: Omit<Alert, 'snoozed'>[] = [];
  const fire: Fire = (check, severity, message, value, threshold) =>
    out.push({ check, severity, message, value, threshold });

  if (m.event_count < t.minDailyEvents) {
    fire(
      'low_event_volume',
      'CRITICAL',
      `Daily event count (${n(m.event_count)}) below minimum (${n(t.minDailyEvents)})`,
      m.event_count,
      t.minDailyEvents,
    );
  }
  if (m.event_count > t.maxDailyEvents) {
    fire(
      'high_event_volume',
      'WARNING',
      `Daily event count (${n(m.event_count)}) above maximum (${n(t.maxDailyEvents)})`,
      m.event_count,
      t.maxDailyEvents,
    );
  }
  if (m.null_client_rate > t.maxNullClientRate) {
    fire(
      'high_null_client_rate',
      'CRITICAL',
      `NULL client_id rate (${pct(m.null_client_rate)}) exceeds threshold (${pct(t.maxNullClientRate)})`,
      m.null_client_rate,
      t.maxNullClientRate,
    );
  }

  const missing = i.expectedFields.filter((f) => (m.missing_fields[f] ?? 0) > 0);
  if (missing.length) {
    const detail = missing.map((f) => `${f} (${n(m.missing_fields[f]!)} events)`).join(', ');
    fire('missing_columns', 'CRITICAL', `Missing columns: ${detail}`, missing.join(','), 'none missing');
  }

  if (i.previousSchema) {
    const now = fieldNamesOf(i.schema);
    const before = fieldNamesOf(i.previousSchema);
    const added = [...now].filter((f) => !before.has(f)).sort();
    const removed = [...before].filter((f) => !now.has(f)).sort();
    const idsNow = Object.keys(i.schema.schema_ids).sort();
    const idsBefore = Object.keys(i.previousSchema.schema_ids).sort();
    const newIds = idsNow.filter((id) => !idsBefore.includes(id));
    if (added.length || removed.length || newIds.length) {
      const parts = [
        added.length ? `new fields ${added.join(', ')}` : '',
        removed.length ? `gone ${removed.join(', ')}` : '',
        newIds.length ? `new schema ids ${newIds.join(', ')}` : '',
      ].filter(Boolean);
      const renamed = added.filter((a) => i.fieldAliases[a] && removed.includes(i.fieldAliases[a]));
      const hint = renamed.length
        ? ` (${renamed.map((a) => `${i.fieldAliases[a]} → ${a}`).join(', ')}: a rename)`
        : '';
      fire(
        'schema_drift',
        'WARNING',
        `Schema drift since the previous day: ${parts.join('; ')}${hint}`,
        parts.join('; '),
        'no change',
      );
    }
  }

  const badTimestamps = (m.rejected.timestamp_missing ?? 0) + (m.rejected.timestamp_invalid ?? 0);
  if (badTimestamps > 0) {
    fire(
      'invalid_timestamps',
      'CRITICAL',
      `${n(badTimestamps)} messages rejected for a missing or invalid timestamp`,
      badTimestamps,
      0,
    );
  }
  if (m.revenue < t.minDailyRevenue) {
    fire(
      'low_revenue',
      'CRITICAL',
      `Daily revenue (${money(m.revenue)}) below minimum (${money(t.minDailyRevenue)})`,
      m.revenue,
      t.minDailyRevenue,
    );
  }
  if (m.conversions < t.minDailyConversions) {
    fire(
      'low_conversions',
      'CRITICAL',
      `Daily conversions (${n(m.conversions)}) below minimum (${n(t.minDailyConversions)})`,
      m.conversions,
      t.minDailyConversions,
    );
  }
  if ((m.event_types.checkout_completed ?? 0) === 0) {
    fire('no_purchases', 'CRITICAL', 'No checkout_completed event at all', 0, 0);
  }

  const anomaly = (
    check: string,
    label: string,
    z: ZScore | null,
    limit: number,
    fmt: (v: number) => string,
  ) => zAlert(fire, check, label, z, limit, fmt);
  anomaly(
    'revenue_anomaly',
    `Daily revenue (${money(m.revenue)})`,
    i.zscores.revenue,
    t.revenueStdThreshold,
    money,
  );
  anomaly(
    'aov_anomaly',
    `AOV (${m.aov === null ? 'n/a' : money(m.aov)})`,
    i.zscores.aov,
    t.aovStdThreshold,
    money,
  );
  anomaly(
    'conversion_anomaly',
    `Conversions (${n(m.conversions)})`,
    i.zscores.conversions,
    t.conversionStdThreshold,
    n,
  );
  anomaly(
    'traffic_anomaly',
    `Event count (${n(m.event_count)})`,
    i.zscores.event_count,
    t.trafficStdThreshold,
    n,
  );

  const volume = i.baselines.event_count;
  if (volume && volume.mean > 0) {
    const change = (m.event_count - volume.mean) / volume.mean;
    if (Math.abs(change) > t.eventVolumeShift) {
      fire(
        'event_volume_shift',
        'WARNING',
        `Event count (${n(m.event_count)}) is ${pct(Math.abs(change))} ${change < 0 ? 'below' : 'above'} its 7-day average (${n(volume.mean)})`,
        Number(change.toFixed(4)),
        t.eventVolumeShift,
      );
    }
    if (m.event_count < t.eventVolumeDrop * volume.mean) {
      fire(
        'event_volume_drop',
        'CRITICAL',
        `Event count (${n(m.event_count)}) below ${pct(t.eventVolumeDrop)} of its 7-day average (${n(volume.mean)})`,
        m.event_count,
        Number((t.eventVolumeDrop * volume.mean).toFixed(2)),
      );
    }
  }
  const views = i.baselines.page_views;
  const pageViews = m.event_types.page_viewed ?? 0;
  if (views && pageViews < t.pageViewDrop * views.mean) {
    fire(
      'page_view_drop',
      'WARNING',
      `Page views (${n(pageViews)}) below ${pct(t.pageViewDrop)} of their 7-day average (${n(views.mean)})`,
      pageViews,
      Number((t.pageViewDrop * views.mean).toFixed(2)),
    );
  }

  if (m.duplicate_transactions > t.maxDuplicateTransactions) {
    fire(
      'duplicate_transactions',
      'CRITICAL',
      `${n(m.duplicate_transactions)} duplicate transaction${m.duplicate_transactions === 1 ? '' : 's'} (revenue as tracked ${money(m.revenue)}, deduplicated ${money(m.revenue_deduplicated)})`,
      m.duplicate_transactions,
      t.maxDuplicateTransactions,
    );
  }
  if (m.purchase_rate > m.checkout_rate) {
    fire(
      'funnel_inversion',
      'WARNING',
      `Purchase rate (${pct(m.purchase_rate)}) above checkout rate (${pct(m.checkout_rate)})`,
      m.purchase_rate,
      m.checkout_rate,
    );
  }
  if (m.atc_rate > 0 && m.purchase_rate === 0) {
    fire(
      'zero_conversions',
      'CRITICAL',
      `Cart activity (${pct(m.atc_rate)} of clients) but no purchase`,
      m.atc_rate,
      0,
    );
  }
  const top = Object.entries(m.channel_share).sort((a, b) => b[1] - a[1])[0];
  if (top && top[1] > t.maxChannelShare) {
    fire(
      'traffic_concentration',
      'WARNING',
      `Channel ${top[0]} holds ${pct(top[1])} of clients (limit ${pct(t.maxChannelShare)})`,
      top[1],
      t.maxChannelShare,
    );
  }
  const absent = i.expectedChannels.filter((ch) => (m.channel_share[ch] ?? 0) === 0);
  if (absent.length) {
    fire(
      'missing_channel',
      'WARNING',
      `Expected channel${absent.length > 1 ? 's' : ''} without clients: ${absent.join(', ')}`,
      absent.join(','),
      'at least one client',
    );
  }
  trafficMixChecks(i, fire);
  return out;
}

/** Sessions, bots, device mix and UTM sources: the session-integrity seed's checks. */
function trafficMixChecks(i: CheckInput, fire: Fire) {
  const m = i.metrics;
  const t = i.thresholds;
  const seconds = (v: number) => `${v.toFixed(1)} s`;
  zAlert(
    fire,
    'session_length_shift',
    `Mean session length (${seconds(m.session_length_mean_s ?? 0)})`,
    i.traffic.session_length,
    t.sessionLengthStdThreshold,
    seconds,
    t.sessionShiftMinChange,
  );
  zAlert(
    fire,
    'page_depth_shift',
    `Mean page depth (${(m.page_depth_mean ?? 0).toFixed(2)} page views per session)`,
    i.traffic.page_depth,
    t.pageDepthStdThreshold,
    (v) => v.toFixed(2),
    t.sessionShiftMinChange,
  );

  const bots = m.bot_share;
  if (bots !== undefined) {
    const z = i.traffic.bot_share;
    if (bots > t.maxBotShare) {
      fire(
        'bot_spike',
        'WARNING',
        `Bot share (${pct(bots)} of events) above limit (${pct(t.maxBotShare)})`,
        bots,
        t.maxBotShare,
      );
    } else if (z && z.z > t.botStdThreshold) {
      fire(
        'bot_spike',
        'WARNING',
        `Bot share (${pct(bots)} of events) is ${sign(z.z)} average (${pct(z.mean)}), z=${z.z.toFixed(2)}`,
        Number(z.z.toFixed(4)),
        t.botStdThreshold,
      );
    }
  }

  if (m.device_share) {
    let worst: { device: string; change: number; mean: number } | null = null;
    for (const [device, baseline] of Object.entries(i.traffic.device_share)) {
      if (!baseline) continue;
      const change = (m.device_share[device] ?? 0) - baseline.mean;
      if (Math.abs(change) > t.deviceMixShift && (!worst || Math.abs(change) > Math.abs(worst.change))) {
        worst = { device, change, mean: baseline.mean };
      }
    }
    if (worst) {
      const today = m.device_share[worst.device] ?? 0;
      fire(
        'device_mix_shift',
        'WARNING',
        `${worst.device} share of events (${pct(today)}) moved ${(Math.abs(worst.change) * 100).toFixed(1)} points ${worst.change < 0 ? 'below' : 'above'} its 7-day average (${pct(worst.mean)})`,
        Number(worst.change.toFixed(4)),
        t.deviceMixShift,
      );
    }
  }

  const top = i.traffic.top_utm_source;
  const topShare = top ? (m.utm_source_share?.[top.source] ?? 0) : 0;
  if (top?.baseline && topShare > t.maxUtmSourceShare && top.baseline.mean < t.utmSkewBaselineShare) {
    fire(
      'utm_source_skew',
      'WARNING',
      `utm_source "${top.source}" holds ${pct(topShare)} of ${n(m.utm_landings ?? 0)} UTM landings; its 7-day average is ${pct(top.baseline.mean)}`,
      topShare,
      t.maxUtmSourceShare,
    );
  }
}

export function applySnoozes(
  alerts: Omit<Alert, 'snoozed'>[],
  day: string,
  snoozes: MonitorConfig['snoozes'],
): Alert[] {
  return alerts.map((a) => ({ ...a, snoozed: snoozes.some((s) => s.check === a.check && day <= s.until) }));
}
