/**
 * One consolidated Slack message per closed day (incoming webhook), WARNING
 * and up, snoozed alerts left out: the seed's "consolidate related alerts".
 */
import type { Alert } from '../closeout/checks/declaration.ts';
import { postJson } from './http.ts';
import type { NotificationSink } from './sink.ts';

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export function slackMessage(namespace: string, date: string, alerts: Alert[]): SlackMessage | null {
  const live = alerts.filter((a) => !a.snoozed && (a.severity === 'CRITICAL' || a.severity === 'WARNING'));
  if (!live.length) return null;
  const critical = live.filter((a) => a.severity === 'CRITICAL');
  const warning = live.filter((a) => a.severity === 'WARNING');
  const title = `event-monitor ${namespace} ${date}: ${critical.length} critical, ${warning.length} warning`;
  const list = (label: string, items: Alert[]) =>
    items.length
      ? [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: `*${label}*\n${items.map((a) => `• \`${a.check}\` ${a.message}`).join('\n')}`,
            },
          },
        ]
      : [];
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title } },
      ...list('CRITICAL', critical),
      ...list('WARNING', warning),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Daily close-out of ${date}; runbooks in the JSON report and Alertmanager annotations.`,
          },
        ],
      },
    ],
  };
}

export async function sendSlack(webhookUrl: string, message: SlackMessage): Promise<void> {
  await postJson('slack', webhookUrl, message);
}

/** First run: every alert in one message; a re-run: only alerts not announced before. */
export function slackSink(webhookUrl: string): NotificationSink {
  return {
    name: 'slack',
    async sync(report, live, _now, attempt) {
      const fresh = report.notified.slack
        ? live.filter((a) => report.changes?.alerts_added.includes(a.check))
        : live;
      const message = slackMessage(report.namespace, report.date, fresh);
      if (message) {
        await attempt(async () => {
          await sendSlack(webhookUrl, message);
          report.notified.slack = true;
        });
      } else if (!report.notified.slack && live.length === 0) report.notified.slack = true;
    },
  };
}
