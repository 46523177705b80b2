/**
 * Today's exact totals, read from Redis at scrape time. Every replica exports
 * the same values, so dashboards take max() across instances, never sum():
 * three consumers do not triple the revenue.
 */
import { Gauge, type Registry } from 'prom-client';
import { COUNTER } from '../aggregation/day-delta.ts';
import type { DayState } from '../aggregation/day-state.ts';
import type { DayResolver } from '../validation/day.ts';

export function registerDayGauges(
  registry: Registry,
  state: DayState,
  days: DayResolver,
  channels: string[],
) {
  const namespace = state.namespace;
  let snapshot: ReturnType<DayState['read']> | null = null;
  let takenAt = 0;
  // One Redis read serves all gauges of one scrape.
  const today = () => {
    if (!snapshot || Date.now() - takenAt > 1000) {
      snapshot = state.read(days.dayOf(Date.now()));
      takenAt = Date.now();
    }
    return snapshot;
  };
  const gauge = (name: string, help: string, value: (s: Awaited<ReturnType<DayState['read']>>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      async collect() {
        this.set({ namespace }, value(await today()));
      },
    });
  const counter = (s: Awaited<ReturnType<DayState['read']>>, field: string) => s.counters[field] ?? 0;
  const perSession = (s: Awaited<ReturnType<DayState['read']>>, field: string) => {
    const sessions = counter(s, COUNTER.sessions);
    return sessions > 0 ? counter(s, field) / sessions : 0;
  };
  const countPrefix = (s: Awaited<ReturnType<DayState['read']>>, prefix: string) =>
    Object.keys(s.counters).filter((k) => k.startsWith(prefix)).length;

  gauge('em_today_events', "Accepted events of today (monitor's zone), exact, from Redis", (s) =>
    counter(s, COUNTER.events),
  );
  gauge('em_today_null_client_events', 'Accepted events of today without a client id', (s) =>
    counter(s, COUNTER.nullClient),
  );
  gauge('em_today_purchases', 'Purchases of today, duplicates included', (s) =>
    counter(s, COUNTER.purchases),
  );
  gauge(
    'em_today_revenue',
    'Revenue of today as tracked, currency units',
    (s) => counter(s, COUNTER.revenueCents) / 100,
  );
  gauge(
    'em_today_revenue_deduplicated',
    'Revenue of today, first occurrence of each transaction',
    (s) => counter(s, COUNTER.revenueDedupCents) / 100,
  );
  gauge('em_today_duplicate_transactions', 'Duplicate transactions of today', (s) =>
    counter(s, COUNTER.duplicateTransactions),
  );
  gauge('em_today_clients', 'Distinct clients of today', (s) => s.clients);
  gauge(
    'em_today_field_sets',
    'Distinct top-level field sets seen today (schema drift shows as a rise)',
    (s) => countPrefix(s, 'fieldset:'),
  );
  gauge('em_today_schema_ids', 'Distinct registry schema ids seen today', (s) => countPrefix(s, 'schema:'));
  gauge(
    'em_today_sessions',
    'Sessions started today (bots excluded); deriv() of it is sessions per second',
    (s) => counter(s, COUNTER.sessions),
  );
  gauge(
    'em_today_session_length_mean_seconds',
    'Mean length of the sessions started today',
    (s) => perSession(s, COUNTER.sessionMs) / 1000,
  );
  gauge('em_today_page_depth_mean', 'Mean page views per session started today', (s) =>
    perSession(s, COUNTER.sessionPages),
  );
  gauge('em_today_late_events', 'Events applied after their day was closed out', (s) =>
    counter(s, COUNTER.lateEvents),
  );

  new Gauge({
    name: 'em_closeout_last_success_timestamp_seconds',
    help: 'When the last close-out of this namespace succeeded (from Redis, so any replica can tell)',
    labelNames: ['namespace'],
    registers: [registry],
    async collect() {
      const last = await state.lastCloseout();
      if (last) this.set({ namespace }, last.atMs / 1000);
    },
  });

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
      for (const channel of channels) this.set({ namespace, channel }, counter(s, COUNTER.channel(channel)));
    },
  });
}
