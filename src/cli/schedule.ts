/**
 * A scheduler service's loop: run on a cron pattern in the monitor's time
 * zone (never two runs at once), log when the first run comes, and return
 * on SIGTERM or SIGINT.
 */
import { Cron } from 'croner';
import type { Context } from './context.ts';

export async function runOnSchedule(
  ctx: Context,
  pattern: string,
  what: string,
  run: () => Promise<void>,
  metricsPort: number,
): Promise<void> {
  const job = new Cron(pattern, { timezone: ctx.days.timeZone, protect: true }, run);
  ctx.log.info(
    { schedule: pattern, timezone: ctx.days.timeZone, next: job.nextRun()?.toISOString(), metricsPort },
    `${what} scheduled`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      job.stop();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
