/**
 * Crafted day metrics and reports for the pure close-out tests.
 */
import type { Alert } from '../../src/closeout/checks/declaration.ts';
import type { DayMetrics } from '../../src/closeout/day-metrics.ts';
import { REPORT_VERSION, type Report, verdictOf } from '../../src/closeout/report.ts';

/** A healthy day: no check fires. */
export function healthyMetrics(): DayMetrics {
  return {
    event_count: 4000,
    null_client_rate: 0.01,
    conversions: 20,
    revenue: 20_000,
    revenue_deduplicated: 20_000,
    aov: 1000,
    duplicate_transactions: 0,
    clients: 1000,
    atc_rate: 0.05,
    checkout_rate: 0.03,
    purchase_rate: 0.02,
    channel_share: { Direct: 0.4, 'Paid Search': 0.3, 'Organic Search': 0.3 },
    event_types: { page_viewed: 3800, checkout_completed: 20 },
    missing_fields: {},
    field_aliases: {},
    rejected: {},
    field_problems: {},
    late_events: 0,
    device_share: { mobile: 0.55, desktop: 0.3, tablet: 0.03, bot: 0.12 },
    bot_share: 0.12,
    event_count_humans: 3520,
    utm_landings: 200,
    utm_source_share: { google: 0.4, facebook: 0.35, newsletter: 0.25 },
    sessions: 1400,
    session_length_mean_s: 300,
    session_length_median_s: 95,
    page_depth_mean: 2.1,
    bounce_rate: 0.45,
    session_stragglers: 0,
    // not measured, as on a day closed before these metrics existed
    null_client_types: null,
    null_client_devices: null,
    missing_field_types: null,
    batches_without_replica: null,
    role_events: null,
    duplicate_events: null,
    revenue_by_currency: null,
    currency: null,
    app_versions: null,
    tracker_versions: null,
  };
}

type ZScores = Report['zscores'];

/** A stored report of `date`: healthy metrics unless overridden, no baselines unless given. */
export function reportOf(
  date: string,
  o: {
    metrics?: Partial<DayMetrics>;
    alerts?: Partial<Alert>[];
    zscores?: Partial<ZScores>;
    intraday?: Report['intraday'];
    overrides?: Report['overrides'];
  } = {},
): Report {
  const alerts: Alert[] = (o.alerts ?? []).map((a) => ({
    check: 'revenue_anomaly',
    severity: 'WARNING',
    message: 'crafted',
    value: null,
    threshold: null,
    snoozed: false,
    ...a,
  }));
  return {
    version: REPORT_VERSION,
    date,
    gaps: [],
    intraday: o.intraday ?? [],
    overrides: o.overrides ?? [],
    namespace: 'crafted',
    timezone: 'UTC',
    generated_at: `${date}T06:30:00.000Z`,
    verdict: verdictOf(alerts),
    alerts,
    metrics: { ...healthyMetrics(), ...o.metrics },
    zscores: { revenue: null, aov: null, conversions: null, event_count: null, ...o.zscores },
    baselines: { page_views: null },
    schema: { field_sets: {}, schema_ids: {} },
    notified: { alertmanager: [], slack: [], pagerduty: [] },
  };
}
