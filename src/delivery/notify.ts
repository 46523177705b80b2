/**
 * The close-out's notifier: Alertmanager, Slack and PagerDuty, each sent only
 * what is new since the day's last run, with resolutions for what stopped
 * firing; what was sent is recorded on the report, so a re-run never repeats it.
 */

import { runbookText } from '../closeout/checks/registry.ts';
import type { Notifier } from '../closeout/closeout.ts';
import type { Report } from '../closeout/report.ts';
import type { Logger } from '../log.ts';
import { postAlerts, toAlertmanager } from './alertmanager.ts';
import { resolveEvent, sendPagerDuty, triggerEvent } from './pagerduty.ts';
import { sendSlack, slackMessage } from './slack.ts';

export interface Sinks {
  alertmanagerUrl?: string | undefined;
  slackWebhookUrl?: string | undefined;
  pagerduty?: { routingKey: string; eventsUrl: string } | undefined;
}

export function notifierOf(sinks: Sinks, options: { alertTtlHours: number; log: Logger }): Notifier {
  return (report, alerts, now) => notify(sinks, options, report, alerts, now);
}

async function notify(
  sinks: Sinks,
  { alertTtlHours, log }: { alertTtlHours: number; log: Logger },
  report: Report,
  alerts: Report['alerts'],
  now: Date,
): Promise<string[]> {
  const ns = report.namespace;
  const live = alerts.filter((a) => !a.snoozed);
  const errors: string[] = [];
  const attempt = async (sink: string, send: () => Promise<void>) => {
    try {
      await send();
    } catch (err) {
      errors.push((err as Error).message);
      log.warn(
        { sink, err: (err as Error).message },
        'notification failed; the next close-out run retries it',
      );
    }
  };

  if (sinks.alertmanagerUrl) {
    const url = sinks.alertmanagerUrl;
    const already = new Set(report.notified.alertmanager.map((a) => a.check));
    const liveChecks = new Set(live.map((a) => a.check));
    const context = { namespace: ns, date: report.date, now, ttlHours: alertTtlHours };
    const payload = [
      ...live
        .filter((a) => !already.has(a.check))
        .map((a) => toAlertmanager(a, { ...context, runbook: runbookText(a, report) })),
      ...report.notified.alertmanager
        .filter((a) => !liveChecks.has(a.check))
        .map((a) =>
          toAlertmanager(
            { ...a, message: `${a.check} resolved` },
            { ...context, runbook: runbookText({ check: a.check, threshold: null }, report), resolved: true },
          ),
        ),
    ];
    await attempt('alertmanager', async () => {
      await postAlerts(url, payload);
      report.notified.alertmanager = live.map((a) => ({ check: a.check, severity: a.severity }));
    });
  }

  if (sinks.slackWebhookUrl) {
    const url = sinks.slackWebhookUrl;
    // first run: every alert in one message; a re-run: only alerts not announced before
    const fresh = report.notified.slack
      ? live.filter((a) => report.changes?.alerts_added.includes(a.check))
      : live;
    const message = slackMessage(ns, report.date, fresh);
    if (message) {
      await attempt('slack', async () => {
        await sendSlack(url, message);
        report.notified.slack = true;
      });
    } else if (!report.notified.slack && live.length === 0) report.notified.slack = true;
  }

  if (sinks.pagerduty) {
    const { routingKey, eventsUrl } = sinks.pagerduty;
    const paged = new Set(report.notified.pagerduty);
    const critical = live.filter((a) => a.severity === 'CRITICAL');
    const stillPaged = new Set<string>();
    for (const a of critical) {
      if (paged.has(a.check)) {
        stillPaged.add(a.check);
        continue;
      }
      await attempt('pagerduty', async () => {
        await sendPagerDuty(
          eventsUrl,
          triggerEvent(routingKey, ns, report.date, a, now, runbookText(a, report)),
        );
        stillPaged.add(a.check);
      });
    }
    for (const check of paged) {
      if (critical.some((a) => a.check === check)) continue;
      let resolved = false;
      await attempt('pagerduty', async () => {
        await sendPagerDuty(eventsUrl, resolveEvent(routingKey, ns, report.date, check));
        resolved = true;
      });
      if (!resolved) stillPaged.add(check); // keep it, so the next run resolves it
    }
    report.notified.pagerduty = [...stillPaged];
  }
  return errors;
}
