/**
 * Alerts to Alertmanager's API v2, which routes them (see
 * alertmanager/alertmanager.yml). Every sync posts what fires, renewed until
 * now + ttl, so an alert ends by itself if its schedule stops; what fired
 * before and no longer does is resolved at once (endsAt = now). Alertmanager
 * deduplicates by labels, so the renewals are one alert.
 */
import { postJson } from './http.ts';
import { alertLabels, type Notice, noticeKey } from './notice.ts';
import type { Sink } from './sink.ts';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** A check's or alert's section of the runbooks: the base and the id as its anchor. */
export const runbookUrl = (base: string, id: string) => `${base}#${id.toLowerCase()}`;

export async function postAlerts(baseUrl: string, alerts: AlertmanagerAlert[]): Promise<void> {
  if (alerts.length) await postJson('alertmanager', `${baseUrl.replace(/\/$/, '')}/api/v2/alerts`, alerts);
}

export function alertmanagerSink(
  baseUrl: string,
  ttlMs: number,
  runbookBaseUrl: string,
): Sink<'alertmanager'> {
  return {
    name: 'alertmanager',
    async sync(scope, firing, sent, now) {
      const before = new Map(sent.map((a) => [noticeKey(a), a]));
      const annotations = (n: Pick<Notice, 'check' | 'message' | 'runbook' | 'details'>) => ({
        summary: n.message,
        description: n.runbook,
        runbook_url: runbookUrl(runbookBaseUrl, n.check),
        ...(typeof n.details.since === 'string' ? { since: n.details.since } : {}),
      });
      const posted = firing.map((n) => {
        const memory = {
          check: n.check,
          severity: n.severity,
          dimension: n.dimension,
          startsAt: before.get(noticeKey(n))?.startsAt ?? now.toISOString(),
        };
        const alert = {
          labels: alertLabels(scope, n),
          annotations: annotations(n),
          startsAt: memory.startsAt,
          endsAt: new Date(now.getTime() + ttlMs).toISOString(),
        };
        return { memory, alert };
      });
      // an alert is its labels: one that stopped firing, or fires now at another severity, is resolved as posted
      const labelled = (a: Pick<Notice, 'check' | 'dimension' | 'severity'>) =>
        `${noticeKey(a)}\t${a.severity}`;
      const live = new Set(firing.map(labelled));
      const resolved = sent
        .filter((a) => !live.has(labelled(a)))
        .map((a) => ({
          labels: alertLabels(scope, a),
          annotations: annotations({ ...a, message: `${a.check} resolved`, runbook: '', details: {} }),
          startsAt: a.startsAt ?? now.toISOString(),
          endsAt: now.toISOString(),
        }));
      await postAlerts(baseUrl, [...posted.map((p) => p.alert), ...resolved]);
      return posted.map((p) => p.memory);
    },
  };
}
