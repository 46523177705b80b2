/**
 * Today's exact totals, read from Redis at scrape time. Every replica exports
 * the same values, so dashboards take max() across instances, never sum():
 * three consumers do not triple the revenue.
 */
import { Gauge, type Registry } from 'prom-client';
import type { DayCounters, ScalarCounter } from '../aggregation/day-counters.ts';
import { UNKNOWN_CURRENCY } from '../aggregation/day-delta.ts';
import type { DayResolver } from '../calendar/day-resolver.ts';
import type { DaySnapshot } from '../state/commands.ts';
import type { MonitorState } from '../state/monitor-state.ts';
import { registerLastCloseoutGauge } from './closeout-metrics.ts';

export function registerDayGauges(
  registry: Registry,
  state: MonitorState,
  days: DayResolver,
  channels: string[],
) {
  const namespace = state.namespace;
  let snapshot: Promise<DaySnapshot> | null = null;
  let takenAt = 0;
  // One Redis read serves all gauges of one scrape.
  const today = () => {
    if (!snapshot || Date.now() - takenAt > 1000) {
      snapshot = state.days.read(days.dayOf(Date.now()));
      takenAt = Date.now();
    }
    return snapshot;
  };
  const gauge = (name: string, help: string, value: (s: DaySnapshot) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      async collect() {
        this.set({ namespace }, value(await today()));
      },
    });
  const counter = (s: DaySnapshot, name: ScalarCounter) => s.counters[name];
  const perSession = (s: DaySnapshot, name: ScalarCounter) =>
    s.counters.sessions > 0 ? s.counters[name] / s.counters.sessions : 0;
  const distinct = (s: DaySnapshot, family: keyof DayCounters & ('fieldSets' | 'schemaIds')) =>
    s.counters[family].size;

  gauge('em_today_events', "Accepted events of today (monitor's zone), exact, from Redis", (s) =>
    counter(s, 'events'),
  );
  gauge('em_today_null_client_events', 'Accepted events of today without a client id', (s) =>
    counter(s, 'nullClient'),
  );
  gauge('em_today_purchases', 'Purchases of today, duplicates included', (s) => counter(s, 'purchases'));
  /** A gauge per currency; a day stored before currencies were counted: all of it as "unknown". */
  const byCurrency = (
    name: string,
    help: string,
    family: 'currencyRevenueCents' | 'currencyPurchases',
    total: ScalarCounter,
    scale: number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'currency'],
      registers: [registry],
      async collect() {
        const s = await today();
        const counts =
          s.counters[family].size > 0 ? s.counters[family] : new Map([[UNKNOWN_CURRENCY, s.counters[total]]]);
        this.reset();
        for (const [currency, n] of counts) this.set({ namespace, currency }, n / scale);
      },
    });
  byCurrency(
    'em_today_revenue',
    'Revenue of today as tracked, in units of the currency labelled (ISO 4217, or "unknown"): never sum across currencies',
    'currencyRevenueCents',
    'revenueCents',
    100,
  );
  byCurrency(
    'em_today_currency_purchases',
    'Purchases of today by their currency (for an order value per currency)',
    'currencyPurchases',
    'purchases',
    1,
  );
  gauge(
    'em_today_revenue_deduplicated',
    'Revenue of today, first occurrence of each transaction',
    (s) => counter(s, 'revenueDedupCents') / 100,
  );
  gauge('em_today_duplicate_transactions', 'Duplicate transactions of today', (s) =>
    counter(s, 'duplicateTransactions'),
  );
  gauge('em_today_clients', 'Distinct clients of today', (s) => s.clients);
  gauge(
    'em_today_field_sets',
    'Distinct top-level field sets seen today (schema drift shows as a rise)',
    (s) => distinct(s, 'fieldSets'),
  );
  gauge('em_today_schema_ids', 'Distinct registry schema ids seen today', (s) => distinct(s, 'schemaIds'));
  gauge(
    'em_today_sessions',
    'Sessions started today (bots excluded); deriv() of it is sessions per second',
    (s) => counter(s, 'sessions'),
  );
  gauge(
    'em_today_session_length_mean_seconds',
    'Mean length of the sessions started today',
    (s) => perSession(s, 'sessionMs') / 1000,
  );
  gauge('em_today_page_depth_mean', 'Mean page views per session started today', (s) =>
    perSession(s, 'sessionPages'),
  );
  gauge('em_today_late_events', 'Events applied after their day was closed out', (s) =>
    counter(s, 'lateEvents'),
  );

  registerLastCloseoutGauge(registry, state);

  new Gauge({
    name: 'em_today_funnel_clients',
    help: 'Distinct clients of today reaching each funnel stage',
    labelNames: ['namespace', 'stage'],
    registers: [registry],
    async collect() {
      const s = await today();
      for (const stage of ['atc', 'checkout', 'purchase'] as const)
        this.set({ namespace, stage }, s.funnel[stage]);
    },
  });
  new Gauge({
    name: 'em_today_channel_clients',
    help: 'Distinct clients of today by first-touch channel',
    labelNames: ['namespace', 'channel'],
    registers: [registry],
    async collect() {
      const s = await today();
      for (const channel of channels) this.set({ namespace, channel }, s.counters.channels.get(channel) ?? 0);
    },
  });
}
