/**
 * Intraday alerts to Alertmanager (which routes CRITICAL to PagerDuty and
 * WARNING to chat, and groups them per namespace): each run posts what fires,
 * renewed until `ttlMinutes` from now, so an alert ends by itself if the
 * scheduler stops; what fired on the previous run and no longer does is
 * resolved at once (endsAt = now). Alertmanager deduplicates by labels, so
 * the renewals are one alert.
 */
import type { IntradayAlert, IntradayVerdict } from '../intraday/evaluate.ts';
import { type AlertmanagerAlert, postAlerts } from './alertmanager.ts';

const keyOf = (date: string, a: Pick<IntradayAlert, 'check' | 'event_name'>) =>
  `${date}\t${a.check}\t${a.event_name ?? 'all'}`;

export class IntradayAlertmanager {
  /** What the last successful post left firing, with when it started. */
  private firing = new Map<string, AlertmanagerAlert>();

  constructor(
    private readonly baseUrl: string,
    private readonly namespace: string,
    private readonly ttlMinutes: number,
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
        annotations: { summary: a.message, since: a.since },
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
