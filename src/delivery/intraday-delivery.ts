/**
 * Where the scheduled intraday run sends its verdicts: the same sinks as the
 * close-out (Alertmanager, Slack, PagerDuty), each remembering what it last
 * announced, so a run sends only what changed: new alerts, and the all-clear
 * once the data recovers. A sink that fails keeps its memory and is retried by
 * the next run; one failing never stops another. The memory is the process's:
 * a restarted scheduler announces what still fires once more (PagerDuty and
 * Alertmanager fold that into what is open).
 */

import { DEFAULT_RUNBOOK_BASE_URL } from '../config/endpoints.ts';
import type { IntradayAlert, IntradayVerdict } from '../intraday/evaluate.ts';
import { INTRADAY_RUNBOOKS } from '../intraday/runbooks.ts';
import type { Logger } from '../log.ts';
import { type AlertmanagerAlert, postAlerts, runbookUrl } from './alertmanager.ts';
import type { Sinks } from './notify.ts';
import { resolveEvent, sendPagerDuty, triggerEvent } from './pagerduty.ts';
import { type SlackMessage, sendSlack } from './slack.ts';

export interface IntradaySink {
  readonly name: string;
  sync(verdict: IntradayVerdict, now: Date): Promise<void>;
}

const keyOf = (date: string, a: Pick<IntradayAlert, 'check' | 'event_name'>) =>
  `${date}\t${a.check}\t${a.event_name ?? 'all'}`;

/**
 * Alertmanager (which routes CRITICAL to PagerDuty and WARNING to chat, and
 * groups them per namespace and day): each run posts what fires, renewed until
 * `ttlMinutes` from now, so an alert ends by itself if the scheduler stops;
 * what fired on the previous run and no longer does is resolved at once
 * (endsAt = now). Alertmanager deduplicates by labels, so the renewals are one
 * alert.
 */
export class IntradayAlertmanager implements IntradaySink {
  readonly name = 'alertmanager';
  /** What the last successful post left firing, with when it started. */
  private firing = new Map<string, AlertmanagerAlert>();

  constructor(
    private readonly baseUrl: string,
    private readonly namespace: string,
    private readonly ttlMinutes: number,
    private readonly runbookBaseUrl: string = DEFAULT_RUNBOOK_BASE_URL,
  ) {}

  async sync(verdict: IntradayVerdict, now: Date): Promise<void> {
    const next = new Map<string, AlertmanagerAlert>();
    for (const a of verdict.alerts) {
      const key = keyOf(verdict.date, a);
      next.set(key, {
        labels: {
          alertname: a.check,
          severity: a.severity.toLowerCase(),
          check: a.check,
          event_name: a.event_name ?? 'all',
          date: verdict.date,
          namespace: this.namespace,
          source: 'intraday',
        },
        annotations: {
          summary: a.message,
          since: a.since,
          description: INTRADAY_RUNBOOKS[a.check],
          runbook_url: runbookUrl(this.runbookBaseUrl, a.check),
        },
        startsAt: this.firing.get(key)?.startsAt ?? now.toISOString(),
        endsAt: new Date(now.getTime() + this.ttlMinutes * 60_000).toISOString(),
      });
    }
    const resolved = [...this.firing]
      .filter(([key]) => !next.has(key))
      .map(([, alert]) => ({ ...alert, endsAt: now.toISOString() }));
    await postAlerts(this.baseUrl, [...next.values(), ...resolved]);
    this.firing = next;
  }
}

/** One Slack message per run that found new alerts, naming only those; one more when the day's alerts all cleared. */
export class IntradaySlack implements IntradaySink {
  readonly name = 'slack';
  private announced = new Set<string>();
  private date: string | null = null;

  constructor(
    private readonly webhookUrl: string,
    private readonly namespace: string,
  ) {}

  async sync(verdict: IntradayVerdict, _now: Date): Promise<void> {
    const before = this.date === verdict.date ? this.announced : new Set<string>();
    const fresh = verdict.alerts.filter((a) => !before.has(keyOf(verdict.date, a)));
    const message = fresh.length
      ? intradaySlackMessage(this.namespace, verdict, fresh)
      : before.size && !verdict.alerts.length
        ? intradayClearMessage(this.namespace, verdict)
        : null;
    if (message) await sendSlack(this.webhookUrl, message);
    this.date = verdict.date;
    this.announced = new Set(verdict.alerts.map((a) => keyOf(verdict.date, a)));
  }
}

export function intradaySlackMessage(
  namespace: string,
  v: IntradayVerdict,
  fresh: readonly IntradayAlert[],
): SlackMessage {
  const title = `event-monitor ${namespace} ${v.date} as of ${v.at}: ${fresh.length} new intraday alert${fresh.length === 1 ? '' : 's'}`;
  return {
    text: title,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: fresh
            .map((a) => `• *${a.severity}* \`${a.check}\` ${a.message} (since ${a.since})`)
            .join('\n'),
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `Judged against ${v.baseline_days.length} baseline days; the close-out judges the whole day tomorrow.`,
          },
        ],
      },
    ],
  };
}

export function intradayClearMessage(namespace: string, v: IntradayVerdict): SlackMessage {
  const text = `event-monitor ${namespace} ${v.date} as of ${v.at}: intraday alerts cleared, the data is back to normal`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/**
 * The day's PagerDuty incident (the same dedup key as the close-out's, one
 * incident per namespace and day): triggered when the set of CRITICAL
 * intraday alerts changes, resolved when none is left; at a new day the last
 * day's incident is resolved, as the close-out takes that day over.
 */
export class IntradayPagerDuty implements IntradaySink {
  readonly name = 'pagerduty';
  private paged: { date: string; keys: string[] } | null = null;

  constructor(
    private readonly routingKey: string,
    private readonly eventsUrl: string,
    private readonly namespace: string,
  ) {}

  async sync(verdict: IntradayVerdict, now: Date): Promise<void> {
    const critical = verdict.alerts.filter((a) => a.severity === 'CRITICAL');
    const keys = critical.map((a) => keyOf(verdict.date, a)).sort();
    if (this.paged && this.paged.date !== verdict.date) {
      await sendPagerDuty(this.eventsUrl, resolveEvent(this.routingKey, this.namespace, this.paged.date));
      this.paged = null;
    }
    const before = this.paged?.keys ?? [];
    if (before.join('\n') === keys.join('\n')) return;
    await sendPagerDuty(
      this.eventsUrl,
      keys.length
        ? triggerEvent(
            this.routingKey,
            this.namespace,
            verdict.date,
            critical.map((a) => ({
              check: a.check,
              message: a.message,
              details: {
                event_name: a.event_name,
                observed: a.observed,
                expected: a.expected,
                since: a.since,
              },
            })),
            now,
            'intraday',
          )
        : resolveEvent(this.routingKey, this.namespace, verdict.date),
    );
    this.paged = keys.length ? { date: verdict.date, keys } : null;
  }
}

/** The configured sinks, each synced in turn; a failure is logged and retried on the next run. */
export class IntradayDelivery {
  readonly sinks: IntradaySink[];

  constructor(
    sinks: Sinks,
    namespace: string,
    ttlMinutes: number,
    private readonly log: Logger,
  ) {
    this.sinks = [
      ...(sinks.alertmanagerUrl
        ? [new IntradayAlertmanager(sinks.alertmanagerUrl, namespace, ttlMinutes, sinks.runbookBaseUrl)]
        : []),
      ...(sinks.slackWebhookUrl ? [new IntradaySlack(sinks.slackWebhookUrl, namespace)] : []),
      ...(sinks.pagerduty
        ? [new IntradayPagerDuty(sinks.pagerduty.routingKey, sinks.pagerduty.eventsUrl, namespace)]
        : []),
    ];
  }

  /** A sink that fails keeps its state, so the next run retries it. */
  async sync(verdict: IntradayVerdict, now: Date): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.sync(verdict, now);
      } catch (err) {
        this.log.warn(
          { sink: sink.name, err: (err as Error).message },
          'intraday notification failed; the next run retries it',
        );
      }
    }
  }
}
