/**
 * What every notification sink does for a closed day: send what is new since
 * the day's last run, resolve what stopped firing, and record on
 * `report.notified` what it sent, so a re-run never repeats it. A sink sends
 * through `attempt`, which keeps a failure from stopping the other sinks; a
 * failed send is left unrecorded and retried by the next run.
 */
import type { Alert } from '../closeout/checks/declaration.ts';
import type { Report } from '../closeout/report.ts';

/** Runs one send; false (and the failure noted) if it threw. */
export type Attempt = (send: () => Promise<void>) => Promise<boolean>;

export interface NotificationSink {
  readonly name: string;
  /** `live`: the day's unsnoozed alerts. */
  sync(report: Report, live: Alert[], now: Date, attempt: Attempt): Promise<void>;
}
