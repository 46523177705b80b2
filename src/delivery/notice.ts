/**
 * An alert as every sink sends it, from either schedule: the close-out's
 * alerts of a closed day and the intraday run's of the day so far become
 * `Notice`s of a `Scope`, and one sync per sink (sink.ts) sends what changed.
 * Pure.
 */
import type { CheckSource, Severity } from '../checks/model.ts';

export interface Notice {
  check: string;
  severity: Severity;
  message: string;
  /** What the alert is about within its day: an event type; null: the whole day. */
  dimension: string | null;
  /** Figures for PagerDuty's custom details (value and threshold, or observed, expected and since). */
  details: Readonly<Record<string, unknown>>;
  /** The playbook as one line. */
  runbook: string;
}

/** Which day, seen by which schedule, the notices are about. */
export interface Scope {
  source: CheckSource;
  namespace: string;
  date: string;
  /** The intraday run's time of day (HH:MM); absent for the close-out. */
  at?: string;
  /** One line of context under a chat message. */
  context: string;
  /**
   * The day is over for this schedule (an intraday day after midnight): what
   * fired is resolved, and chat is not told it cleared, since the close-out takes the day over.
   */
  retiring?: boolean;
}

/** A notice's identity within its scope. */
export const noticeKey = (n: Pick<Notice, 'check' | 'dimension'>) =>
  n.dimension === null ? n.check : `${n.check}/${n.dimension}`;

/** The labels an alert carries in Alertmanager, built here only: resolving needs exactly these. */
export function alertLabels(
  scope: Pick<Scope, 'source' | 'namespace' | 'date'>,
  n: Pick<Notice, 'check' | 'severity' | 'dimension'>,
): Record<string, string> {
  return {
    alertname: n.check,
    severity: n.severity.toLowerCase(),
    check: n.check,
    ...(n.dimension === null ? {} : { event_name: n.dimension }),
    date: scope.date,
    namespace: scope.namespace,
    source: scope.source,
  };
}
