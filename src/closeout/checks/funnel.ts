/** The funnel's shape: stages that cannot be in this order, carts that never convert. */
import { pct } from '../format.ts';
import { defineCheck } from './declaration.ts';

export const FUNNEL_CHECKS = [
  defineCheck({
    id: 'funnel_inversion',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: ({ metrics: m }) =>
      m.purchase_rate > m.checkout_rate
        ? {
            message: `Purchase rate (${pct(m.purchase_rate)}) above checkout rate (${pct(m.checkout_rate)})`,
            value: m.purchase_rate,
            threshold: m.checkout_rate,
          }
        : null,
    playbook: {
      title: () => 'Funnel inversion: more purchasing clients than checkout clients',
      investigate: [
        'Check that the checkout-started event fires on every checkout path (express pay, one-click)',
      ],
      resolution: 'Tracking gap in the funnel: add the missing checkout-started event',
    },
  }),
  defineCheck({
    id: 'zero_conversions',
    severity: 'CRITICAL',
    kind: 'logical',
    reads: ['purchaseStopMinExpected'],
    evaluate: (c) => {
      const m = c.metrics;
      if (!(m.atc_rate > 0 && m.purchase_rate === 0)) return null;
      // a shop of a few orders a day has days with carts and no order: news only where many were due
      const perDay = c.baseline('purchase_events');
      if (perDay && perDay.mean < c.thresholds.purchaseStopMinExpected) return null;
      return {
        message: `Cart activity (${pct(m.atc_rate)} of clients) but no purchase`,
        value: m.atc_rate,
        threshold: 0,
      };
    },
    playbook: {
      title: () => 'Cart activity without any conversion',
      investigate: ['Check the purchase event on the thank-you page', 'Check payment provider status'],
      resolution: 'Checkout tracking broken: restore the purchase event',
    },
  }),
] as const;
