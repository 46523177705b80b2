/**
 * The one delivery path both schedules use (src/delivery/sink.ts): the real
 * Alertmanager, and Slack and PagerDuty received by a local server, synced
 * run after run with what fires. Each sink sends only what changed, resolves
 * what stopped, keeps its memory when it fails so the next run retries it,
 * and labels a close-out and an intraday alert the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTHING_NOTIFIED, type Notified } from '../../src/closeout/report.ts';
import type { Notice, Scope } from '../../src/delivery/notice.ts';
import { sinksFrom } from '../../src/delivery/notify.ts';
import { deliver } from '../../src/delivery/sink.ts';
import { createLogger } from '../../src/log.ts';
import { activeAlerts } from '../helpers/alertmanager.ts';
import { env } from '../helpers/stack.ts';
import { startWebhookSink } from '../helpers/webhook-sink.ts';

const log = createLogger('silent');
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
beforeAll(async () => {
  sink = await startWebhookSink();
});
afterAll(async () => {
  await sink?.close();
});

const notice = (check: string, severity: Notice['severity'], dimension: string | null = null): Notice => ({
  check,
  severity,
  message: `${check} fired`,
  dimension,
  details: { observed: 1, expected: 2 },
  runbook: `what to do about ${check}`,
});

describe('one delivery path for both schedules', () => {
  it('sends what is new once, renews what still fires, resolves what stopped, and says when all cleared', async () => {
    const namespace = `delivery-${Date.now()}`;
    const sinks = sinksFrom(
      {
        alertmanagerUrl: env.ALERTMANAGER_URL,
        slackWebhookUrl: sink.url(`/slack/${namespace}`),
        pagerduty: { routingKey: 'routing-key-0123456789', eventsUrl: sink.url(`/pagerduty/${namespace}`) },
      },
      3_600_000,
    );
    const scope: Scope = { source: 'closeout', namespace, date: '2025-03-04', context: 'close-out' };
    const slack = () => sink.on(`/slack/${namespace}`).map((r) => JSON.stringify(r.body));
    const pages = () =>
      sink.on(`/pagerduty/${namespace}`).map((r) => r.body as { event_action: string; dedup_key: string });
    const now = new Date();

    let sent: Notified = NOTHING_NOTIFIED;
    const run = async (firing: Notice[], s: Scope = scope) => {
      const r = await deliver(sinks, s, firing, sent, now, log);
      expect(r.errors).toEqual([]);
      sent = r.sent;
    };
    await run([notice('no_purchases', 'CRITICAL'), notice('bot_spike', 'WARNING')]);
    expect((await activeAlerts(namespace)).map((a) => a.labels.alertname).sort()).toEqual([
      'bot_spike',
      'no_purchases',
    ]);
    expect(slack()).toHaveLength(1);
    expect(slack()[0]).toContain('1 critical, 1 warning');
    expect(pages().map((p) => p.event_action)).toEqual(['trigger']);

    // the same again: nothing new to chat or the incident
    await run([notice('no_purchases', 'CRITICAL'), notice('bot_spike', 'WARNING')]);
    expect(slack()).toHaveLength(1);
    expect(pages()).toHaveLength(1);

    // one more: only it is announced; the incident follows the CRITICAL set
    await run([
      notice('no_purchases', 'CRITICAL'),
      notice('bot_spike', 'WARNING'),
      notice('no_events', 'CRITICAL'),
    ]);
    expect(slack()).toHaveLength(2);
    expect(slack()[1]).toContain('no_events');
    expect(slack()[1]).not.toContain('bot_spike');
    expect(pages().map((p) => p.event_action)).toEqual(['trigger', 'trigger']);

    // all cleared: resolved everywhere, and chat is told
    await run([]);
    expect(await activeAlerts(namespace)).toEqual([]);
    expect(pages().at(-1)).toMatchObject({ event_action: 'resolve', dedup_key: `${namespace}/2025-03-04` });
    expect(slack().at(-1)).toContain('close-out alerts cleared');
    expect(sent).toEqual({ alertmanager: [], slack: [], pagerduty: [] });
  });

  it('labels an intraday alert by its event type; a day retired at midnight is resolved without a chat message', async () => {
    const namespace = `delivery-intraday-${Date.now()}`;
    const sinks = sinksFrom(
      {
        alertmanagerUrl: env.ALERTMANAGER_URL,
        slackWebhookUrl: sink.url(`/slack/${namespace}`),
        pagerduty: { routingKey: 'routing-key-0123456789', eventsUrl: sink.url(`/pagerduty/${namespace}`) },
      },
      600_000,
    );
    const scope: Scope = {
      source: 'intraday',
      namespace,
      date: '2025-03-09',
      at: '12:10',
      context: 'intraday',
    };
    const first = await deliver(
      sinks,
      scope,
      [notice('intraday_silence', 'CRITICAL', 'page_viewed')],
      NOTHING_NOTIFIED,
      new Date(),
      log,
    );
    expect(first.errors).toEqual([]);
    const [alert] = await activeAlerts(namespace);
    expect(alert?.labels).toEqual({
      alertname: 'intraday_silence',
      check: 'intraday_silence',
      severity: 'critical',
      event_name: 'page_viewed',
      date: '2025-03-09',
      namespace,
      source: 'intraday',
    });
    const trigger = sink.on(`/pagerduty/${namespace}`)[0]!.body as {
      payload: { custom_details: { from: string; alerts: Record<string, unknown>[] } };
    };
    expect(trigger.payload.custom_details.from).toBe('intraday');
    expect(trigger.payload.custom_details.alerts[0]).toMatchObject({
      check: 'intraday_silence',
      event_name: 'page_viewed',
      runbook: 'what to do about intraday_silence',
    });

    const retired = await deliver(sinks, { ...scope, retiring: true }, [], first.sent, new Date(), log);
    expect(retired.errors).toEqual([]);
    expect(await activeAlerts(namespace)).toEqual([]);
    expect(
      sink.on(`/pagerduty/${namespace}`).map((r) => (r.body as { event_action: string }).event_action),
    ).toEqual(['trigger', 'resolve']);
    expect(sink.on(`/slack/${namespace}`)).toHaveLength(1); // the alert, no "cleared"
  });

  it('an alert that fires on at another severity is one alert: the one posted before is resolved', async () => {
    const namespace = `delivery-severity-${Date.now()}`;
    const sinks = sinksFrom({ alertmanagerUrl: env.ALERTMANAGER_URL }, 600_000);
    const scope: Scope = {
      source: 'intraday',
      namespace,
      date: '2025-03-09',
      at: '12:10',
      context: 'intraday',
    };
    const first = await deliver(
      sinks,
      scope,
      [notice('intraday_volume_drop', 'WARNING', 'page_viewed')],
      NOTHING_NOTIFIED,
      new Date(),
      log,
    );
    expect((await activeAlerts(namespace)).map((a) => a.labels.severity)).toEqual(['warning']);
    const worse = await deliver(
      sinks,
      { ...scope, at: '12:20' },
      [notice('intraday_volume_drop', 'CRITICAL', 'page_viewed')],
      first.sent,
      new Date(),
      log,
    );
    expect(worse.errors).toEqual([]);
    expect((await activeAlerts(namespace)).map((a) => a.labels.severity)).toEqual(['critical']);
    // the same alert as far as its history goes: it started when the warning did
    expect(worse.sent.alertmanager[0]?.startsAt).toBe(first.sent.alertmanager[0]?.startsAt);
  });

  it('a sink that fails keeps what it had sent, so the next run sends it; the others go on', async () => {
    const namespace = `delivery-failing-${Date.now()}`;
    const working = sinksFrom({ slackWebhookUrl: sink.url(`/slack/${namespace}`) }, 60_000);
    // a refused connection: nothing listens on port 9 of localhost
    const broken = sinksFrom(
      {
        slackWebhookUrl: 'http://127.0.0.1:9/never',
        pagerduty: { routingKey: 'routing-key-0123456789', eventsUrl: sink.url(`/pagerduty/${namespace}`) },
      },
      60_000,
    );
    const scope: Scope = { source: 'closeout', namespace, date: '2025-03-05', context: 'close-out' };
    const firing = [notice('no_events', 'CRITICAL')];
    const failed = await deliver(broken, scope, firing, NOTHING_NOTIFIED, new Date(), log);
    expect(failed.errors).toEqual([expect.stringContaining('slack')]);
    expect(failed.errors[0]).not.toContain('127.0.0.1');
    expect(failed.sent.slack).toEqual([]); // not announced: the next run tries again
    expect(failed.sent.pagerduty).toEqual(['no_events']); // the incident went out
    const retried = await deliver(working, scope, firing, failed.sent, new Date(), log);
    expect(retried.errors).toEqual([]);
    expect(sink.on(`/slack/${namespace}`)).toHaveLength(1);
    expect(retried.sent.slack).toEqual(['no_events']);
  });
});
