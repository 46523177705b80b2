/**
 * What drove a change in the day's event count: the event type and the
 * device class that moved most in the same direction, each with its own
 * change and its share of the total deviation from the baseline, e.g.
 * "events −20%: page_viewed −22% (81% of it), mobile −31% (64% of it)".
 * Pure: reads the day's values and baselines through the check context.
 */
import type { CheckContext } from './declaration.ts';
import { type MetricRef, shareRef } from './metric-refs.ts';

const signedPct = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(Math.round(v * 100))}%`;

/** The key of a family whose change went furthest the same way as the total, with its change and share of it. */
function strongest(ctx: CheckContext, refOf: (key: string) => MetricRef, keys: string[], total: number) {
  let best: { key: string; change: number; share: number } | null = null;
  for (const key of keys) {
    const b = ctx.baseline(refOf(key));
    const v = ctx.value(refOf(key));
    if (!b || v === null || b.mean <= 0) continue;
    const delta = v - b.mean;
    const share = delta / total;
    if (share > 0 && (!best || share > best.share)) best = { key, change: delta / b.mean, share };
  }
  return best;
}

export function volumeDrivers(ctx: CheckContext): string | null {
  const b = ctx.baseline('event_count');
  const v = ctx.value('event_count');
  if (!b || v === null || b.mean <= 0) return null;
  const total = v - b.mean;
  if (Math.abs(total) < 1) return null;
  const parts = [
    strongest(ctx, (k) => shareRef('event_types', k), ctx.keysOf('event_types'), total),
    strongest(ctx, (k) => shareRef('device_events', k), ctx.keysOf('device_share'), total),
  ]
    .filter((p) => p !== null)
    .map((p) => `${p.key} ${signedPct(p.change)} (${Math.round(p.share * 100)}% of it)`);
  return parts.length ? `events ${signedPct(total / b.mean)}: ${parts.join(', ')}` : null;
}
