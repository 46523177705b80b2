/**
 * PagerDuty Events API v2: one incident per namespace and day. The dedup_key
 * is namespace/date, so every CRITICAL alert of the day (close-out or
 * intraday) lands in the same incident; a change of what fires is sent as a
 * new trigger of the same key (PagerDuty logs it on the open incident), and
 * the incident is resolved once nothing CRITICAL fires for the day.
 */
import type { CheckSource } from '../checks/model.ts';
import { postJson } from './http.ts';
import { type Notice, noticeKey } from './notice.ts';
import type { Sink } from './sink.ts';

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

export const dedupKey = (namespace: string, date: string) => `${namespace}/${date}`;

export function triggerEvent(
  routingKey: string,
  namespace: string,
  date: string,
  alerts: readonly Notice[],
  now: Date,
  source: CheckSource,
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
      custom_details: {
        date,
        from: source,
        alerts: alerts.map((a) => ({
          check: a.check,
          ...(a.dimension === null ? {} : { event_name: a.dimension }),
          ...a.details,
          runbook: a.runbook,
        })),
      },
    },
  };
}

export function resolveEvent(routingKey: string, namespace: string, date: string): PagerDutyEvent {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey(namespace, date) };
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Triggers the day's incident when what fires CRITICAL changes; resolves it when nothing does any more. */
export function pagerDutySink(routingKey: string, eventsUrl: string): Sink<'pagerduty'> {
  return {
    name: 'pagerduty',
    async sync(scope, firing, sent, now) {
      const critical = firing.filter((a) => a.severity === 'CRITICAL');
      const keys = critical.map(noticeKey);
      if (sameSet(keys, sent)) return sent;
      await postJson(
        'pagerduty',
        eventsUrl,
        keys.length
          ? triggerEvent(routingKey, scope.namespace, scope.date, critical, now, scope.source)
          : resolveEvent(routingKey, scope.namespace, scope.date),
      );
      return keys;
    },
  };
}
