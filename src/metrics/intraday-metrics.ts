/**
 * The intraday scheduler's metrics, each declared once: what fires now (for
 * the dashboards), and its runs.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { IntradayVerdict } from '../intraday/evaluate.ts';

export function registerIntradayMetrics(registry: Registry, namespace: string) {
  const firing = new Gauge({
    name: 'em_intraday_alerts',
    help: 'Intraday alerts firing as of the last run, by check, severity and event type ("all" for the null client rate)',
    labelNames: ['namespace', 'check', 'severity', 'event_name'],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'em_intraday_runs_total',
    help: 'Intraday runs by result',
    labelNames: ['namespace', 'result'],
    registers: [registry],
  });
  const lastRun = new Gauge({
    name: 'em_intraday_last_run_timestamp_seconds',
    help: 'When the last intraday run succeeded',
    labelNames: ['namespace'],
    registers: [registry],
  });
  return {
    succeeded(verdict: IntradayVerdict, at: Date) {
      runs.inc({ namespace, result: 'ok' });
      firing.reset();
      for (const a of verdict.alerts) {
        firing.inc({ namespace, check: a.check, severity: a.severity, event_name: a.event_name ?? 'all' });
      }
      lastRun.set({ namespace }, at.getTime() / 1000);
    },
    failed() {
      runs.inc({ namespace, result: 'error' });
    },
  };
}
