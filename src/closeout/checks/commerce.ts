/** Revenue, orders and their integrity: floors, z-scores against the baseline, duplicates. */
import { money, count as n, pct } from '../format.ts';
import { defineCheck } from './declaration.ts';
import { metricValue } from './metric-refs.ts';

export const COMMERCE_CHECKS = [
  defineCheck({
    id: 'low_revenue',
    severity: 'CRITICAL',
    kind: 'minimum',
    metric: 'revenue',
    threshold: 'minDailyRevenue',
    message: (v, limit) => `Daily revenue (${money(v)}) below minimum (${money(limit)})`,
    playbook: {
      title: () => 'Daily revenue below minimum',
      investigate: [
        'Compare with the order system for the day',
        "Check the purchase event's tracking on the thank-you page",
      ],
      resolution:
        'Significant business issue or tracking failure: escalate to the checkout team if orders are missing too',
    },
  }),
  defineCheck({
    id: 'low_conversions',
    severity: 'CRITICAL',
    kind: 'minimum',
    metric: 'conversions',
    threshold: 'minDailyConversions',
    message: (v, limit) => `Daily conversions (${n(v)}) below minimum (${n(limit)})`,
    playbook: {
      title: () => 'Daily conversions below minimum',
      investigate: ['Compare with the order system', 'Check the purchase event and its order id and revenue'],
      resolution: 'Checkout tracking may be broken: fix the purchase event',
    },
  }),
  defineCheck({
    id: 'no_purchases',
    severity: 'CRITICAL',
    kind: 'logical',
    metric: 'conversions',
    evaluate: ({ metrics: m }) =>
      metricValue(m, 'purchase_events') === 0
        ? { message: 'No purchase event at all', value: 0, threshold: 0 }
        : null,
    playbook: {
      title: () => 'No purchase events at all',
      investigate: [
        'Check that the thank-you page still fires the purchase event',
        'Check recent checkout or payment provider changes',
      ],
      resolution: 'Restore the purchase event; orders of the day must be backfilled from the order system',
    },
  }),
  defineCheck({
    id: 'revenue_anomaly',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'revenue',
    threshold: 'revenueStdThreshold',
    label: (c) => `Daily revenue (${money(c.metrics.revenue)})`,
    format: money,
    playbook: {
      title: ({ limit, days }) => `Revenue more than ${limit} std from its ${days}-day baseline`,
      investigate: [
        'Check promotions, pricing changes and large orders',
        'Check duplicate or missing purchase events',
      ],
      resolution: 'Unusual day: confirm with the business; fix tracking if the order system disagrees',
    },
  }),
  defineCheck({
    id: 'aov_anomaly',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'aov',
    threshold: 'aovStdThreshold',
    label: (c) => `AOV (${c.metrics.aov === null ? 'n/a' : money(c.metrics.aov)})`,
    format: money,
    playbook: {
      title: ({ limit, days }) => `Average order value more than ${limit} std from its ${days}-day baseline`,
      investigate: ['Check pricing and discount changes', 'Check the revenue field of purchase events'],
      resolution: 'Pricing issue or data problem: correct the revenue field if the tracker is wrong',
    },
  }),
  defineCheck({
    id: 'conversion_anomaly',
    severity: 'WARNING',
    kind: 'zscore',
    metric: 'conversions',
    threshold: 'conversionStdThreshold',
    label: (c) => `Conversions (${n(c.metrics.conversions)})`,
    format: n,
    playbook: {
      title: ({ limit, days }) => `Conversions more than ${limit} std from their ${days}-day baseline`,
      investigate: ['Compare with the order system', 'Check the funnel dashboard for where clients drop'],
      resolution: 'Fix checkout tracking if orders exist that the events miss',
    },
  }),
  defineCheck({
    id: 'duplicate_transactions',
    severity: 'CRITICAL',
    kind: 'logical',
    evaluate: ({ metrics: m, thresholds: t }) => {
      const d = m.duplicate_transactions;
      if (d <= t.maxDuplicateTransactions) return null;
      return {
        message: `${n(d)} duplicate transaction${d === 1 ? '' : 's'} (revenue as tracked ${money(m.revenue)}, deduplicated ${money(m.revenue_deduplicated)})`,
        value: d,
        threshold: t.maxDuplicateTransactions,
      };
    },
    playbook: {
      title: () => 'Duplicate transactions',
      investigate: [
        'Check checkout page for double-submit protection',
        'Review webhook retry logic',
        'Check for payment processor duplicates',
      ],
      resolution: 'Add deduplication at checkout event capture',
    },
  }),
  defineCheck({
    id: 'duplicate_events',
    severity: 'WARNING',
    kind: 'logical',
    metric: 'duplicate_events',
    evaluate: ({ metrics: m, thresholds: t }) => {
      const d = m.duplicate_events ?? 0;
      const rate = m.event_count > 0 ? d / m.event_count : 0;
      if (d === 0 || rate <= t.maxDuplicateEventShare) return null;
      return {
        message: `${n(d)} event${d === 1 ? '' : 's'} delivered again with an event id already counted (${pct(rate)} of events; counted once)`,
        value: rate,
        threshold: t.maxDuplicateEventShare,
      };
    },
    playbook: {
      title: () => 'Events delivered twice',
      investigate: [
        "Check the producer's retries and timeouts (Segment / RudderStack destination, Snowplow Enrich, the shop's own producer)",
        'Check that the Kafka producer is idempotent (enable.idempotence) and that a timeout is not retried by hand',
        'Check for a tag loaded twice that reuses its event ids',
      ],
      resolution:
        'The figures count each event once; fix the retries so that raw exports and other consumers of the topic do not double count',
    },
  }),
] as const;
