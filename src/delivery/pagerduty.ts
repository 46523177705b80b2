/**
 * PagerDuty Events API v2 for CRITICAL alerts. The dedup_key is
 * namespace/date/check, so a re-run never pages twice, and a check that stops
 * firing on a re-run resolves its incident.
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

export const dedupKey = (namespace: string, date: string, check: string) => `${namespace}/${date}/${check}`;

export function triggerEvent(
  routingKey: string,
  namespace: string,
  date: string,
  alert: Alert,
  now: Date,
  runbook: string,
): PagerDutyEvent {
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey(namespace, date, alert.check),
    payload: {
      summary: `[${namespace} ${date}] ${alert.message}`.slice(0, 1024),
      source: 'event-monitor',
      severity: 'critical',
      timestamp: now.toISOString(),
      component: namespace,
      group: 'data-quality',
      class: alert.check,
      custom_details: {
        date,
        value: alert.value,
        threshold: alert.threshold,
        runbook,
      },
    },
  };
}

export function resolveEvent(
  routingKey: string,
  namespace: string,
  date: string,
  check: string,
): PagerDutyEvent {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey(namespace, date, check) };
}

export async function sendPagerDuty(eventsUrl: string, event: PagerDutyEvent): Promise<void> {
  await postJson('pagerduty', eventsUrl, event);
}

/** Pages each CRITICAL alert once; resolves the incidents of checks that stopped firing. */
export function pagerDutySink(routingKey: string, eventsUrl: string): NotificationSink {
  return {
    name: 'pagerduty',
    async sync(report, live, now, attempt) {
      const ns = report.namespace;
      const paged = new Set(report.notified.pagerduty);
      const critical = live.filter((a) => a.severity === 'CRITICAL');
      const stillPaged = new Set<string>();
      for (const a of critical) {
        if (paged.has(a.check)) {
          stillPaged.add(a.check);
          continue;
        }
        const sent = await attempt(() =>
          sendPagerDuty(eventsUrl, triggerEvent(routingKey, ns, report.date, a, now, runbookText(a, report))),
        );
        if (sent) stillPaged.add(a.check);
      }
      for (const check of paged) {
        if (critical.some((a) => a.check === check)) continue;
        const resolved = await attempt(() =>
          sendPagerDuty(eventsUrl, resolveEvent(routingKey, ns, report.date, check)),
        );
        if (!resolved) stillPaged.add(check); // keep it, so the next run resolves it
      }
      report.notified.pagerduty = [...stillPaged];
    },
  };
}
