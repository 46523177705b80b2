/**
 * Defaults that fit any shop: a shop of 200 events a day and one of 2,000,000,
 * each through a steady fortnight, get no alert from the default config; then
 * their purchases stop, and the close-out names it as soon as chance no
 * longer explains it: the large shop the first day, the small one (about two
 * orders a day) once the days without one are too many.
 */
import { describe, expect, it } from 'vitest';
import { lookbackWindow } from '../../../../src/closeout/baseline.ts';
import {
  evaluateChecks,
  type HistoryDay,
  historyBaselines,
} from '../../../../src/closeout/checks/evaluate.ts';
import type { DayMetrics } from '../../../../src/closeout/day-metrics.ts';
import { parseMonitorConfig } from '../../../../src/config/monitor-config.ts';
import { healthyMetrics } from '../../../helpers/reports.ts';

const config = parseMonitorConfig({});
const FIRST = '2025-06-01';
const dayAt = (i: number) =>
  new Date(Date.parse(`${FIRST}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
/** A steady week's wiggle: each day within a few per cent of the shop's usual. */
const WIGGLE = [1, 1.03, 0.98, 1.01, 0.97, 1.02, 0.99];

interface Shop {
  name: string;
  events: number;
  /** Orders a day, by weekday: small integers for the small shop. */
  orders: readonly number[];
  orderValue: number;
}
const SHOPS: Shop[] = [
  { name: '200 events a day', events: 200, orders: [2, 1, 2, 2, 1, 2, 2], orderValue: 80 },
  {
    name: '2,000,000 events a day',
    events: 2_000_000,
    orders: [12_000, 12_300, 11_800, 12_100, 11_900, 12_200, 11_950],
    orderValue: 95,
  },
];

function metricsOf(shop: Shop, i: number, stopped: boolean): DayMetrics {
  const w = WIGGLE[i % 7]!;
  const events = Math.round(shop.events * w);
  const orders = stopped ? 0 : shop.orders[i % 7]!;
  const clients = Math.round(events / 4);
  const revenue = orders * shop.orderValue;
  return {
    ...healthyMetrics(),
    event_count: events,
    event_count_humans: Math.round(events * 0.88),
    clients,
    conversions: orders,
    revenue,
    revenue_deduplicated: revenue,
    aov: orders > 0 ? shop.orderValue : null,
    purchase_rate: orders / clients,
    checkout_rate: Math.max(orders, Math.round(clients * 0.03)) / clients,
    atc_rate: (Math.round(clients * 0.05) + orders) / clients,
    event_types: { page_viewed: Math.round(events * 0.9) },
    role_events: { pageView: Math.round(events * 0.9), purchase: orders },
    sessions: Math.round(clients * 1.4),
    utm_landings: Math.round(events * 0.05),
  };
}

/** Closes out day after day with the default config, each against the days before. */
function run(shop: Shop, days: number, stopFrom = Number.POSITIVE_INFINITY) {
  const history = new Map<string, HistoryDay>();
  const out: { day: string; alerts: { check: string; severity: string }[] }[] = [];
  for (let i = 0; i < days; i++) {
    const day = dayAt(i);
    const metrics = metricsOf(shop, i, i >= stopFrom);
    const { alerts } = evaluateChecks({
      day,
      gaps: [],
      metrics,
      schema: { field_sets: { a: 1 }, schema_ids: {} },
      previousSchema: i > 0 ? { field_sets: { a: 1 }, schema_ids: {} } : null,
      thresholds: config.thresholds,
      expectedFields: [],
      fieldAliases: {},
      expectedChannels: config.expectedChannels,
      contract: null,
      baselineDays: config.baseline.days,
      history: historyBaselines(day, history, config.baseline),
    });
    history.set(day, { metrics, alerts: alerts.map((a) => ({ ...a, snoozed: false })) });
    out.push({ day, alerts: alerts.map((a) => ({ check: a.check, severity: a.severity })) });
  }
  return out;
}

describe.each(SHOPS)('a shop of $name', (shop) => {
  it('gets no alert from the defaults through a steady fortnight', () => {
    expect(lookbackWindow(dayAt(14), config.baseline)).toHaveLength(config.baseline.lookbackDays);
    const days = run(shop, 14);
    expect(days.flatMap((d) => d.alerts.map((a) => `${d.day} ${a.check}`))).toEqual([]);
  });

  it('is told its purchases stopped as soon as chance no longer explains it', () => {
    const days = run(shop, 24, 14);
    const first = days.findIndex((d) => d.alerts.some((a) => a.check === 'no_purchases'));
    // 7 expected and none seen (e^-7, 0.09%): the first day at 12,000 a day; at ~1.7 a day, the 5th
    const expectedDay = shop.events > 1000 ? 14 : 14 + Math.ceil(7 / (12 / 7)) - 1;
    expect(first).toBe(expectedDay);
    expect(days[first]!.alerts.find((a) => a.check === 'no_purchases')?.severity).toBe('CRITICAL');
    // nothing before the stop
    expect(days.slice(0, 14).flatMap((d) => d.alerts)).toEqual([]);
  });
});
