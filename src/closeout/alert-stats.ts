/**
 * Monitoring the monitor: per check, how often it fired, how often people
 * called it a false positive, and how long it took to go quiet again. From
 * the stored close-out reports and the feedback. Pure.
 */
import type { FeedbackEntry } from '../state/feedback-store.ts';
import type { Report } from './report.ts';

export interface CheckStats {
  check: string;
  /** Days the check fired (unsnoozed). */
  alert_days: number;
  false_positive: number;
  incident: number;
  expected: number;
  /** false_positive ÷ days it fired (null when it never fired) */
  false_positive_share: number | null;
  /** Mean length, in days, of its runs of consecutive alerted days (first alert to quiet again). */
  mean_days_to_quiet: number | null;
}

export function alertStats(
  reports: ReadonlyMap<string, Report>,
  feedback: readonly FeedbackEntry[],
): CheckStats[] {
  const days = [...reports.keys()].sort();
  const fired = new Map<string, Set<string>>();
  for (const d of days) {
    for (const a of reports.get(d)!.alerts) {
      if (!a.snoozed) fired.set(a.check, (fired.get(a.check) ?? new Set()).add(d));
    }
  }
  const checks = new Set([...fired.keys(), ...feedback.map((f) => f.check)]);
  return [...checks].sort().map((check) => {
    const on = fired.get(check) ?? new Set<string>();
    const said = feedback.filter((f) => f.check === check);
    const count = (v: FeedbackEntry['verdict']) => said.filter((f) => f.verdict === v).length;
    // runs of consecutive closed days on which it fired
    const runs: number[] = [];
    let run = 0;
    for (const d of days) {
      if (on.has(d)) run++;
      else if (run > 0) {
        runs.push(run);
        run = 0;
      }
    }
    if (run > 0) runs.push(run);
    return {
      check,
      alert_days: on.size,
      false_positive: count('false_positive'),
      incident: count('incident'),
      expected: count('expected'),
      false_positive_share: on.size ? Number((count('false_positive') / on.size).toFixed(3)) : null,
      mean_days_to_quiet: runs.length
        ? Number((runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(2))
        : null,
    };
  });
}
