/**
 * PagerDuty Events API v2: one incident per namespace and day. The dedup_key
 * is namespace/date, so every CRITICAL alert of the day (close-out or
 * intraday) lands in the same incident; a change of what fires is sent as a
 * new trigger of the same key (PagerDuty logs it on the open incident), and
 * the incident is resolved once nothing CRITICAL fires for the day.
 */
import type { Alert } from '../closeout/checks/declaration.ts';
import { runbookText } from '../closeout/checks/registry.ts';
import { postJson } from './http.ts';
import type { NotificationSink } from './sink.ts';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
}

/** What one CRITICAL alert contributes to the day's incident. */
export interface PagedAlert {
  check: string;
  message: string;
  details: Record<string, unknown>;
}

export const dedupKey = (namespace: string, date: string) => `${namespace}/${date}`;

export function triggerEvent(
  routingKey: string,
  namespace: string,
  date: string,
  alerts: readonly PagedAlert[],
  now: Date,
  source: 'closeout' | 'intraday',
): PagerDutyEvent {
  const summary =
    alerts.length === 1
      ? alerts[0]!.message
      : `${alerts.length} critical alerts: ${alerts.map((a) => a.message).join('; ')}`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey(namespace, date),
    payload: {
      summary: `[${namespace} ${date}] ${summary}`.slice(0, 1024),
      source: 'event-monitor',
      severity: 'critical',
      timestamp: now.toISOString(),
      component: namespace,
      group: 'data-quality',
      class: alerts.map((a) => a.check).join(','),
      custom_details: { date, from: source, alerts: alerts.map((a) => ({ check: a.check, ...a.details })) },
    },
  };
}

export function resolveEvent(routingKey: string, namespace: string, date: string): PagerDutyEvent {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey(namespace, date) };
}

export async function sendPagerDuty(eventsUrl: string, event: PagerDutyEvent): Promise<void> {
  await postJson('pagerduty', eventsUrl, event);
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Triggers the day's incident when what fires CRITICAL changes; resolves it when nothing does any more. */
export function pagerDutySink(routingKey: string, eventsUrl: string): NotificationSink {
  return {
    name: 'pagerduty',
    async sync(report, live, now, attempt) {
      const critical = live.filter((a) => a.severity === 'CRITICAL');
      const checks = critical.map((a) => a.check);
      const paged = report.notified.pagerduty;
      if (sameSet(checks, paged)) return;
      const event = checks.length
        ? triggerEvent(
            routingKey,
            report.namespace,
            report.date,
            critical.map(pagedFrom(report)),
            now,
            'closeout',
          )
        : resolveEvent(routingKey, report.namespace, report.date);
      const sent = await attempt(() => sendPagerDuty(eventsUrl, event));
      if (sent) report.notified.pagerduty = checks;
    },
  };
}

const pagedFrom =
  (report: Parameters<typeof runbookText>[1]) =>
  (a: Alert): PagedAlert => ({
    check: a.check,
    message: a.message,
    details: { value: a.value, threshold: a.threshold, runbook: runbookText(a, report) },
  });
