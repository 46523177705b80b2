/**
 * `event-monitor feedback`: people's word on an alert (incident, expected,
 * false_positive), stored per namespace; incident and expected keep the day
 * out of that check's baselines, false_positive keeps an alerted day in and
 * counts against the check. `--stats`: per check, days fired, verdicts, share
 * of false positives and days from first alert to quiet again.
 */
import { writeFileSync } from 'node:fs';
import { DayResolver } from '../calendar/day-resolver.ts';
import { alertStats, type CheckStats } from '../closeout/alert-stats.ts';
import { storedReports } from '../closeout/closeout.ts';
import type { FeedbackEntry } from '../state/feedback-store.ts';
import { createRedis } from '../state/redis.ts';
import { type Context, stateOf } from './context.ts';

export async function recordFeedback(ctx: Context, entry: Omit<FeedbackEntry, 'atMs'>): Promise<void> {
  const redis = createRedis(ctx.env, `event-monitor:feedback:${ctx.namespace}`);
  try {
    await stateOf(ctx, redis).feedback.save({ ...entry, atMs: Date.now() });
    process.stdout.write(`${entry.day} ${entry.check}: ${entry.verdict} (recorded for ${ctx.namespace})\n`);
  } finally {
    redis.disconnect();
  }
}

export async function feedbackStats(ctx: Context, o: { days: number; json?: string }): Promise<CheckStats[]> {
  const redis = createRedis(ctx.env, `event-monitor:feedback:${ctx.namespace}`);
  try {
    const state = stateOf(ctx, redis);
    const days = DayResolver.lastDays(ctx.days.yesterday(), o.days);
    const reports = await storedReports(state, days);
    const feedback = (await state.feedback.read()).filter((f) => f.day >= days[0]!);
    const stats = alertStats(reports, feedback);
    if (o.json) writeFileSync(o.json, `${JSON.stringify(stats, null, 2)}\n`);
    const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);
    process.stdout.write(
      [
        `alerts and feedback over ${reports.size} closed day(s) of the last ${o.days}:`,
        `  ${'check'.padEnd(28)} ${'days'.padStart(5)} ${'false+'.padStart(7)} ${'share'.padStart(6)} ${'incident'.padStart(9)} ${'expected'.padStart(9)} ${'to quiet'.padStart(9)}`,
        ...stats.map(
          (s) =>
            `  ${s.check.padEnd(28)} ${String(s.alert_days).padStart(5)} ${String(s.false_positive).padStart(7)} ${pct(s.false_positive_share).padStart(6)} ${String(s.incident).padStart(9)} ${String(s.expected).padStart(9)} ${(s.mean_days_to_quiet === null ? '-' : `${s.mean_days_to_quiet} d`).padStart(9)}`,
        ),
        '',
      ].join('\n'),
    );
    return stats;
  } finally {
    redis.disconnect();
  }
}
