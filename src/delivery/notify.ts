/**
 * Both schedules' notifiers over the one delivery path (sink.ts): the
 * close-out's remembers what it sent on the day's report (`report.notified`),
 * so a re-run never repeats it; the intraday scheduler's in the process, per
 * day, so each run sends only what changed and a day past midnight is
 * resolved (the close-out takes it over).
 */
import { playbookLine } from '../checks/model.ts';
import { runbookText } from '../closeout/checks/registry.ts';
import type { Notifier } from '../closeout/closeout.ts';
import { NOTHING_NOTIFIED, type Notified } from '../closeout/report.ts';
import { DEFAULT_RUNBOOK_BASE_URL } from '../config/endpoints.ts';
import { INTRADAY_CHECKS, playbookLimitOf } from '../intraday/checks.ts';
import type { IntradayAlert, IntradayVerdict } from '../intraday/evaluate.ts';
import type { Logger } from '../log.ts';
import { alertmanagerSink } from './alertmanager.ts';
import type { Notice, Scope } from './notice.ts';
import { pagerDutySink } from './pagerduty.ts';
import { deliver, type Sink } from './sink.ts';
import { slackSink } from './slack.ts';

export interface Sinks {
  alertmanagerUrl?: string | undefined;
  /** Where the runbooks are (RUNBOOK_BASE_URL): the alerts' runbook_url. */
  runbookBaseUrl?: string | undefined;
  slackWebhookUrl?: string | undefined;
  pagerduty?: { routingKey: string; eventsUrl: string } | undefined;
}

/** The configured sinks; an Alertmanager alert lives `alertTtlMs` unless renewed. */
export function sinksFrom(sinks: Sinks, alertTtlMs: number): Sink[] {
  return [
    ...(sinks.alertmanagerUrl
      ? [
          alertmanagerSink(
            sinks.alertmanagerUrl,
            alertTtlMs,
            sinks.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL,
          ),
        ]
      : []),
    ...(sinks.slackWebhookUrl ? [slackSink(sinks.slackWebhookUrl)] : []),
    ...(sinks.pagerduty ? [pagerDutySink(sinks.pagerduty.routingKey, sinks.pagerduty.eventsUrl)] : []),
  ];
}

/** The close-out's notifier: the day's unsnoozed alerts, what was sent kept on the report. */
export function notifierOf(sinks: Sinks, options: { alertTtlHours: number; log: Logger }): Notifier {
  const active = sinksFrom(sinks, options.alertTtlHours * 3_600_000);
  return async (report, alerts, now) => {
    const scope: Scope = {
      source: 'closeout',
      namespace: report.namespace,
      date: report.date,
      context: `Daily close-out of ${report.date}; runbooks in the JSON report and Alertmanager annotations.`,
    };
    const firing = alerts
      .filter((a) => !a.snoozed)
      .map(
        (a): Notice => ({
          check: a.check,
          severity: a.severity,
          message: a.message,
          dimension: null,
          details: { value: a.value, threshold: a.threshold },
          runbook: runbookText(a, report),
        }),
      );
    const { sent, errors } = await deliver(active, scope, firing, report.notified, now, options.log);
    report.notified = sent;
    return errors;
  };
}

const INTRADAY_BY_ID = new Map(INTRADAY_CHECKS.map((c) => [c.id as string, c]));

/** An intraday alert as the sinks send it; its playbook states the day's limits. */
export function intradayNotice(a: IntradayAlert, maxNullClientRate: number): Notice {
  const check = INTRADAY_BY_ID.get(a.check)!;
  const { playbook } = check;
  const limit = playbookLimitOf(check, maxNullClientRate);
  return {
    check: a.check,
    severity: a.severity,
    message: a.message,
    dimension: a.event_name,
    details: { observed: a.observed, expected: a.expected, since: a.since },
    runbook: playbookLine({ ...playbook, title: playbook.title({ limit, days: 0 }) }),
  };
}

/**
 * The intraday scheduler's notifier: each run's verdict synced with what was
 * sent for its day; a day before it still holding sent alerts is resolved
 * (again on the next run if a sink failed). The memory is the process's: a
 * restarted scheduler announces what still fires once more (PagerDuty and
 * Alertmanager fold that into what is open).
 */
export class IntradayNotifier {
  private readonly sinks: Sink[];
  private readonly sent = new Map<string, Notified>();

  constructor(
    sinks: Sinks,
    private readonly namespace: string,
    alertTtlMinutes: number,
    private readonly log: Logger,
  ) {
    this.sinks = sinksFrom(sinks, alertTtlMinutes * 60_000);
  }

  async sync(verdict: IntradayVerdict, now: Date, maxNullClientRate: number): Promise<void> {
    const scope = (date: string, retiring: boolean): Scope => ({
      source: 'intraday',
      namespace: this.namespace,
      date,
      at: verdict.at,
      retiring,
      context: `Judged against ${verdict.baseline_days.length} baseline days; the close-out judges the whole day tomorrow.`,
    });
    for (const [date, sent] of this.sent) {
      if (date === verdict.date) continue;
      const done = await deliver(this.sinks, scope(date, true), [], sent, now, this.log);
      if (done.errors.length) this.sent.set(date, done.sent);
      else this.sent.delete(date);
    }
    const firing = verdict.alerts.filter((a) => !a.snoozed).map((a) => intradayNotice(a, maxNullClientRate));
    const before = this.sent.get(verdict.date) ?? NOTHING_NOTIFIED;
    this.sent.set(
      verdict.date,
      (await deliver(this.sinks, scope(verdict.date, false), firing, before, now, this.log)).sent,
    );
  }
}
