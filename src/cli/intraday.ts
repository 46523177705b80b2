/**
 * `event-monitor intraday --date D --at HH:MM`: the day so far, as of that
 * event time, against the same hours of its baseline days (src/intraday).
 */
import { writeFileSync } from 'node:fs';
import { DayResolver } from '../calendar/day-resolver.ts';
import { evaluateIntraday, type IntradayVerdict } from '../intraday/evaluate.ts';
import { createRedis } from '../state/redis.ts';
import { type Context, stateOf } from './context.ts';

export interface IntradayOptions {
  date: string;
  /** Minutes since local midnight. */
  atMinute: number;
  json?: string;
  text?: boolean;
}

export async function intradayOnce(ctx: Context, o: IntradayOptions): Promise<IntradayVerdict> {
  const redis = createRedis(ctx.env, `event-monitor:intraday:${ctx.namespace}`);
  try {
    const state = stateOf(ctx, redis);
    const rules = ctx.config.intraday;
    const history = Array.from({ length: rules.lookbackDays }, (_, i) => DayResolver.previous(o.date, i + 1));
    const slots = await state.readIntraday([o.date, ...history]);
    const verdict = evaluateIntraday({
      date: o.date,
      atMinute: o.atMinute,
      today: slots.get(o.date)!,
      history: new Map(history.map((d) => [d, slots.get(d)!])),
      rules,
      maxNullClientRate: ctx.config.thresholds.maxNullClientRate,
      instantOf: (day, minute) => ctx.days.instantOf(day, minute),
    });
    if (o.json) writeFileSync(o.json, `${JSON.stringify(verdict, null, 2)}\n`);
    process.stdout.write(o.text || !o.json ? intradayText(verdict) : '');
    return verdict;
  } finally {
    redis.disconnect();
  }
}

export function intradayText(v: IntradayVerdict): string {
  const head = `intraday ${v.date} as of ${v.at}: ${v.alerts.length} alert(s) against ${v.baseline_days.length} baseline day(s)`;
  return [
    head,
    ...(v.note ? [`  ${v.note}`] : []),
    ...v.alerts.map((a) => `  ${a.severity.padEnd(8)} ${a.check.padEnd(26)} ${a.message} (since ${a.since})`),
    '',
  ].join('\n');
}
