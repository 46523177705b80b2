/**
 * One delivery path for both schedules: each sink compares "what fires now"
 * with what it last sent for the scope and sends only the difference (new
 * alerts, renewals where the channel needs them, resolutions), returning what
 * it has now sent. A sink that throws keeps its last memory, so the next run
 * retries it; one failing never stops another.
 */
import type { Notified } from '../closeout/report.ts';
import type { Logger } from '../log.ts';
import type { Notice, Scope } from './notice.ts';

export interface Sink<Name extends keyof Notified = keyof Notified> {
  readonly name: Name;
  /** Sends what changed since `sent`; returns the new memory. Throws when the channel failed. */
  sync(scope: Scope, firing: readonly Notice[], sent: Notified[Name], now: Date): Promise<Notified[Name]>;
}

export interface Delivered {
  sent: Notified;
  /** One line per sink that failed (retried by the next run). */
  errors: string[];
}

/** Syncs every sink in turn; `firing` excludes snoozed alerts. */
export async function deliver(
  sinks: readonly Sink[],
  scope: Scope,
  firing: readonly Notice[],
  sent: Notified,
  now: Date,
  log: Logger,
): Promise<Delivered> {
  const next: Notified = { ...sent };
  const errors: string[] = [];
  for (const sink of sinks) {
    try {
      (next as Record<string, unknown>)[sink.name] = await sink.sync(
        scope,
        firing,
        sent[sink.name] as never,
        now,
      );
    } catch (err) {
      errors.push(`${sink.name}: ${(err as Error).message}`);
      log.warn(
        { sink: sink.name, source: scope.source, date: scope.date, err: (err as Error).message },
        'notification failed; the next run retries it',
      );
    }
  }
  return { sent: next, errors };
}
