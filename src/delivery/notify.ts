/**
 * The close-out's notifier: every configured sink (Alertmanager, Slack,
 * PagerDuty) synced with the day's alerts in turn. Each sink owns its own
 * send and resolve transitions (see sink.ts); one failing never stops another.
 */
import type { Notifier } from '../closeout/closeout.ts';
import { DEFAULT_RUNBOOK_BASE_URL } from '../config/endpoints.ts';
import type { Logger } from '../log.ts';
import { alertmanagerSink } from './alertmanager.ts';
import { pagerDutySink } from './pagerduty.ts';
import type { NotificationSink } from './sink.ts';
import { slackSink } from './slack.ts';

export interface Sinks {
  alertmanagerUrl?: string | undefined;
  /** Where the runbooks are (RUNBOOK_BASE_URL): the alerts' runbook_url. */
  runbookBaseUrl?: string | undefined;
  slackWebhookUrl?: string | undefined;
  pagerduty?: { routingKey: string; eventsUrl: string } | undefined;
}

export function sinksFrom(sinks: Sinks, alertTtlHours: number): NotificationSink[] {
  return [
    ...(sinks.alertmanagerUrl
      ? [
          alertmanagerSink(
            sinks.alertmanagerUrl,
            alertTtlHours,
            sinks.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
          ),
        ]
      : []),
    ...(sinks.slackWebhookUrl ? [slackSink(sinks.slackWebhookUrl)] : []),
    ...(sinks.pagerduty ? [pagerDutySink(sinks.pagerduty.routingKey, sinks.pagerduty.eventsUrl)] : []),
  ];
}

export function notifierOf(sinks: Sinks, options: { alertTtlHours: number; log: Logger }): Notifier {
  const active = sinksFrom(sinks, options.alertTtlHours);
  return async (report, alerts, now) => {
    const live = alerts.filter((a) => !a.snoozed);
    const errors: string[] = [];
    for (const sink of active) {
      const attempt = async (send: () => Promise<void>) => {
        try {
          await send();
          return true;
        } catch (err) {
          errors.push((err as Error).message);
          options.log.warn(
            { sink: sink.name, err: (err as Error).message },
            'notification failed; the next close-out run retries it',
          );
          return false;
        }
      };
      await sink.sync(report, live, now, attempt);
    }
    return errors;
  };
}
