/** Revenue, orders and their integrity: floors, z-scores against the baseline, duplicates. */
import { money, count as n, pct } from '../format.ts';
import { type CheckContext, defineCheck, type Finding } from './declaration.ts';
import { metricValue } from './metric-refs.ts';

/**
 * No purchase today, and, counting the days before without one, fewer than chance allows:
 * over a run of k days at the `mean` purchases a day the baseline saw before it, none at all
 * has probability e^(−k·mean); it is named once k·mean reaches purchaseStopMinExpected (7:
 * 0.09%). A shop of 20 orders a day is told the first day, one of one a day after a week.
 * Without any history, a day without a purchase is named (the seed monitor's rule).
 */
export function purchaseStop(c: CheckContext): Finding | null {
  if (metricValue(c.metrics, 'purchase_events') !== 0) return null;
  const before = c.recent('purchase_events');
  let run = 1;
  while (run - 1 < before.length && before[run - 1] === 0) run++;
  // the mean of the baseline's days before the run (the engine's baseline would hold the run itself)
  const earlier = before
    .slice(run - 1)
    .filter((v): v is number => v !== null)
    .slice(0, c.baselineDays ?? 7);
  const mean = earlier.length === 0 ? null : earlier.reduce((a, b) => a + b, 0) / earlier.length;
  if (mean === null) return { message: 'No purchase event at all', value: 0, threshold: 0 };
  const expected = run * mean;
  if (expected < c.thresholds.purchaseStopMinExpected) return null;
  return {
    message:
      run === 1
        ? `No purchase event at all, against ${n(mean)} a day before`
        : `No purchase event for ${run} days, against ${n(mean)} a day before (${n(expected)} expected)`,
    value: 0,
    threshold: Number(expected.toFixed(2)),
  };
}

export const COMMERCE_CHECKS = [
  defineCheck({
    id: 'low_revenue',
    severity: 'CRITICAL',
    kind: 'minimum',
    metric: 'revenue',
    threshold: 'minDailyRevenue',
    message: (v, limit, c) =>
      `Daily revenue (${money(v, c.metrics.currency)}) below minimum (${money(limit, c.metrics.currency)})`,
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
    reads: ['purchaseStopMinExpected'],
    metric: 'conversions',
    evaluate: purchaseStop,
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
    label: (c) => `Daily revenue (${money(c.metrics.revenue, c.metrics.currency)})`,
    format: (v, c) => money(v, c.metrics.currency),
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
    label: (c) => `AOV (${c.metrics.aov === null ? 'n/a' : money(c.metrics.aov, c.metrics.currency)})`,
    format: (v, c) => money(v, c.metrics.currency),
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
    kind: 'maximum',
    metric: 'duplicate_transactions',
    threshold: 'maxDuplicateTransactions',
    message: (d, _limit, { metrics: m }) =>
      `${n(d)} duplicate transaction${d === 1 ? '' : 's'} (revenue as tracked ${money(m.revenue, m.currency)}, deduplicated ${money(m.revenue_deduplicated, m.currency)})`,
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
    reads: ['maxDuplicateEventShare'],
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
