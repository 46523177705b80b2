/**
 * Chat through a Slack incoming webhook: one consolidated message per sync
 * that finds alerts not announced before for the day (WARNING and up), naming
 * only those: the seed's "consolidate related alerts"; and one more when
 * everything announced has cleared.
 */
import { postJson } from './http.ts';
import { type Notice, noticeKey, type Scope } from './notice.ts';
import type { Sink } from './sink.ts';

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

const where = (scope: Scope) =>
  `event-monitor ${scope.namespace} ${scope.date}${scope.at ? ` as of ${scope.at}` : ''}`;

export function slackMessage(scope: Scope, fresh: readonly Notice[]): SlackMessage {
  const critical = fresh.filter((a) => a.severity === 'CRITICAL');
  const warning = fresh.filter((a) => a.severity === 'WARNING');
  const title = `${where(scope)}: ${critical.length} critical, ${warning.length} warning${scope.source === 'intraday' ? ' (intraday)' : ''}`;
  const line = (a: Notice) =>
    `• \`${a.check}\` ${a.message}${typeof a.details.since === 'string' ? ` (since ${a.details.since})` : ''}`;
  const list = (label: string, items: Notice[]) =>
    items.length
      ? [{ type: 'section', text: { type: 'mrkdwn', text: `*${label}*\n${items.map(line).join('\n')}` } }]
      : [];
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title } },
      ...list('CRITICAL', critical),
      ...list('WARNING', warning),
      { type: 'context', elements: [{ type: 'mrkdwn', text: scope.context }] },
    ],
  };
}

export function clearMessage(scope: Scope): SlackMessage {
  const text = `${where(scope)}: ${scope.source === 'intraday' ? 'intraday' : 'close-out'} alerts cleared, the data is back to normal`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function slackSink(webhookUrl: string): Sink<'slack'> {
  return {
    name: 'slack',
    async sync(scope, firing, sent, _now) {
      const chat = firing.filter((a) => a.severity === 'CRITICAL' || a.severity === 'WARNING');
      const announced = new Set(sent);
      const fresh = chat.filter((a) => !announced.has(noticeKey(a)));
      const message = fresh.length
        ? slackMessage(scope, fresh)
        : sent.length && !chat.length && !scope.retiring
          ? clearMessage(scope)
          : null;
      if (message) await postJson('slack', webhookUrl, message);
      return chat.map(noticeKey);
    },
  };
}
