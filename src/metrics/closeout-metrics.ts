/**
 * The close-out's metrics, each declared once: its runs and alerts (the
 * scheduler counts them), and gauges read from Redis at scrape time (the last
 * success, the recent days' alerts, revenue and channel baselines), so any
 * process that serves them tells the same.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { alertStats, type CheckStats } from '../closeout/alert-stats.ts';
import type { CloseoutResult } from '../closeout/closeout.ts';
import { storedReports } from '../closeout/closeout.ts';
import type { MonitorState } from '../state/monitor-state.ts';

/** When the last close-out of the namespace succeeded, from Redis: the consumer and the scheduler both serve it. */
export function registerLastCloseoutGauge(registry: Registry, state: MonitorState) {
  const namespace = state.namespace;
  new Gauge({
    name: 'em_closeout_last_success_timestamp_seconds',
    help: 'When the last close-out of this namespace succeeded (from Redis, so any replica can tell)',
    labelNames: ['namespace'],
    registers: [registry],
    async collect() {
      const last = await state.archive.lastCloseout();
      if (last) this.set({ namespace }, last.atMs / 1000);
    },
  });
}

/** The scheduler's metrics; returns what records one run. */
export function registerCloseoutMetrics(registry: Registry, state: MonitorState) {
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
function registerHistoryGauges(registry: Registry, state: MonitorState) {
  const namespace = state.namespace;
  const recent = async () => [
    ...(await storedReports(state, await state.archive.recentClosedDays(14))).values(),
  ];
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
  registerCheckStatsGauges(registry, state);
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

/** Days the monitoring-the-monitor gauges look back over. */
export const CHECK_STATS_DAYS = 90;

/**
 * Monitoring the monitor, per check over the last 90 closed days: days it
 * fired, the share people called a false positive, and the mean days from
 * its first alert to quiet again (see alert-stats.ts). One read of the stored
 * reports and feedback serves the three gauges of a scrape (prom-client
 * collects them concurrently).
 */
function registerCheckStatsGauges(registry: Registry, state: MonitorState) {
  const namespace = state.namespace;
  let cached: { atMs: number; stats: Promise<CheckStats[]> } | null = null;
  const stats = () => {
    if (!cached || Date.now() - cached.atMs > 5_000) {
      cached = { atMs: Date.now(), stats: readStats() };
      cached.stats.catch(() => {
        cached = null; // the next scrape reads again
      });
    }
    return cached.stats;
  };
  const readStats = async () => {
    const closed = await state.archive.recentClosedDays(CHECK_STATS_DAYS);
    if (!closed.length) return [];
    const oldest = [...closed].sort()[0]!;
    const feedback = (await state.feedback.read()).filter((f) => f.day >= oldest);
    return alertStats(await storedReports(state, closed), feedback);
  };
  const gauge = (name: string, help: string, figureOf: (s: CheckStats) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'check'],
      registers: [registry],
      async collect() {
        const all = await stats();
        this.reset();
        for (const s of all) {
          const v = figureOf(s);
          if (v !== null) this.set({ namespace, check: s.check }, v);
        }
      },
    });
  gauge(
    'em_check_alert_days',
    `Days of the last ${CHECK_STATS_DAYS} closed days on which each check raised an unsnoozed alert`,
    (s) => s.alert_days,
  );
  gauge(
    'em_check_false_positive_share',
    'Share of the days a check fired that people marked false_positive (event-monitor feedback)',
    (s) => s.false_positive_share,
  );
  gauge(
    'em_check_mean_days_to_quiet',
    "Mean length in days of a check's runs of consecutive alerted days: first alert to quiet again",
    (s) => s.mean_days_to_quiet,
  );
}
