/**
 * The close-out's metrics, each declared once: its runs and alerts (the
 * scheduler counts them), and gauges read from Redis at scrape time (the last
 * success, the recent days' alerts, revenue and channel baselines), so any
 * process that serves them tells the same.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CloseoutResult } from '../closeout/closeout.ts';
import { storedReports } from '../closeout/closeout.ts';
import type { DayStore } from '../state/day-store.ts';

/** When the last close-out of the namespace succeeded, from Redis: the consumer and the scheduler both serve it. */
export function registerLastCloseoutGauge(registry: Registry, state: DayStore) {
  const namespace = state.namespace;
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
}

/** The scheduler's metrics; returns what records one run. */
export function registerCloseoutMetrics(registry: Registry, state: DayStore) {
  const namespace = state.namespace;
  const runs = new Counter({
    name: 'em_closeout_runs_total',
    help: 'Close-out runs by result',
    labelNames: ['namespace', 'result'],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'em_closeout_alerts_total',
    help: 'Alerts raised by close-outs, by check and severity',
    labelNames: ['namespace', 'check', 'severity'],
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'em_closeout_duration_seconds',
    help: 'Duration of the last close-out',
    labelNames: ['namespace'],
    registers: [registry],
  });
  registerLastCloseoutGauge(registry, state);
  registerHistoryGauges(registry, state);
  return {
    succeeded(result: CloseoutResult) {
      runs.inc({ namespace, result: 'ok' });
      for (const a of result.report.alerts)
        if (!a.snoozed) alerts.inc({ namespace, check: a.check, severity: a.severity });
      duration.set({ namespace }, result.durationMs / 1000);
    },
    failed() {
      runs.inc({ namespace, result: 'error' });
    },
  };
}

/** The 14 latest closed days, read from their stored reports at scrape time: the close-out history dashboard. */
function registerHistoryGauges(registry: Registry, state: DayStore) {
  const namespace = state.namespace;
  const recent = async () => [...(await storedReports(state, await state.recentClosedDays(14))).values()];
  new Gauge({
    name: 'em_closeout_day_alerts',
    help: 'Unsnoozed alerts of each of the last 14 closed days (1 per alert), by date, check and severity',
    labelNames: ['namespace', 'date', 'check', 'severity'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await recent()) {
        for (const a of r.alerts)
          if (!a.snoozed) this.set({ namespace, date: r.date, check: a.check, severity: a.severity }, 1);
      }
    },
  });
  new Gauge({
    name: 'em_closeout_channel_share_baseline',
    help: "Each channel's share of clients, averaged over the 7 latest closed days: the dashboards' baseline",
    labelNames: ['namespace', 'channel'],
    registers: [registry],
    async collect() {
      this.reset();
      const last7 = (await recent()).sort((a, b) => b.date.localeCompare(a.date)).slice(0, 7);
      const channels = new Set(last7.flatMap((r) => Object.keys(r.metrics.channel_share)));
      for (const channel of channels) {
        const mean =
          last7.reduce((sum, r) => sum + (r.metrics.channel_share[channel] ?? 0), 0) / last7.length;
        this.set({ namespace, channel }, mean);
      }
    },
  });
  new Gauge({
    name: 'em_closeout_day_revenue',
    help: 'Revenue as tracked of each of the last 14 closed days',
    labelNames: ['namespace', 'date'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await recent()) this.set({ namespace, date: r.date }, r.metrics.revenue);
    },
  });
}
