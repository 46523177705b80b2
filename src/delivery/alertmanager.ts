/**
 * Close-out alerts to Alertmanager's API v2, which routes them (see
 * alertmanager/alertmanager.yml). Each alert ends by itself after `ttlHours`
 * (the next close-out renews it); one that stops firing on a re-run is
 * resolved at once with endsAt = now.
 */
import type { Alert } from '../closeout/checks/declaration.ts';
import { runbookText } from '../closeout/checks/registry.ts';
import { postJson } from './http.ts';
import type { NotificationSink } from './sink.ts';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

export function toAlertmanager(
  alert: Pick<Alert, 'check' | 'severity' | 'message'>,
  context: {
    namespace: string;
    date: string;
    now: Date;
    ttlHours: number;
    /** The playbook as one line, and where the check's runbook section is. */
    description: string;
    runbookUrl: string;
    resolved?: boolean;
  },
): AlertmanagerAlert {
  const endsAt = context.resolved
    ? context.now
    : new Date(context.now.getTime() + context.ttlHours * 3_600_000);
  return {
    labels: {
      alertname: alert.check,
      severity: alert.severity.toLowerCase(),
      check: alert.check,
      date: context.date,
      namespace: context.namespace,
      source: 'closeout',
    },
    annotations: {
      summary: alert.message,
      description: context.description,
      runbook_url: context.runbookUrl,
    },
    startsAt: context.now.toISOString(),
    endsAt: endsAt.toISOString(),
  };
}

/** A check's or alert's section of the runbooks: the base and the id as its anchor. */
export const runbookUrl = (base: string, id: string) => `${base}#${id.toLowerCase()}`;

export async function postAlerts(baseUrl: string, alerts: AlertmanagerAlert[]): Promise<void> {
  if (alerts.length) await postJson('alertmanager', `${baseUrl.replace(/\/$/, '')}/api/v2/alerts`, alerts);
}

/** Posts new alerts and resolutions in one call; records the alerts still active there. */
export function alertmanagerSink(
  baseUrl: string,
  ttlHours: number,
  runbookBaseUrl: string,
): NotificationSink {
  return {
    name: 'alertmanager',
    async sync(report, live, now, attempt) {
      const already = new Set(report.notified.alertmanager.map((a) => a.check));
      const liveChecks = new Set(live.map((a) => a.check));
      const context = { namespace: report.namespace, date: report.date, now, ttlHours };
      const payload = [
        ...live
          .filter((a) => !already.has(a.check))
          .map((a) =>
            toAlertmanager(a, {
              ...context,
              description: runbookText(a, report),
              runbookUrl: runbookUrl(runbookBaseUrl, a.check),
            }),
          ),
        // resolving needs the exact labels it was posted with, severity included
        ...report.notified.alertmanager
          .filter((a) => !liveChecks.has(a.check))
          .map((a) =>
            toAlertmanager(
              { ...a, message: `${a.check} resolved` },
              {
                ...context,
                description: runbookText({ check: a.check, threshold: null }, report),
                runbookUrl: runbookUrl(runbookBaseUrl, a.check),
                resolved: true,
              },
            ),
          ),
      ];
      await attempt(async () => {
        await postAlerts(baseUrl, payload);
        report.notified.alertmanager = live.map((a) => ({ check: a.check, severity: a.severity }));
      });
    },
  };
}
