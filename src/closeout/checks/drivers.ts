/**
 * What drove an alert, named by the dimension that moved most and its share
 * of the deviation from the baseline:
 * - volume: the event type and the device class, e.g.
 *   "events −20%: page_viewed −22% (81% of it), mobile −31% (64% of it)";
 * - null client ids: the event type and the device class that lost them,
 *   e.g. "null client ids +2,310 against the baseline: checkout_started +2,100
 *   (91% of it), mobile +1,900 (82% of it)";
 * - missing fields: the event types that lack each field.
 * A check declares which one explains it (`explain`). Pure: reads the day's
 * values and baselines through the check context.
 */
import { count, pct } from '../format.ts';
import type { CheckContext } from './declaration.ts';
import { type MetricRef, type ShareMetric, shareRef } from './metric-refs.ts';

const signedPct = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(Math.round(v * 100))}%`;
const signedCount = (v: number) => `${v < 0 ? '−' : '+'}${count(Math.abs(Math.round(v)))}`;

/** The key of a family whose change went furthest the same way as the total, with its change and share of it. */
function strongest(ctx: CheckContext, refOf: (key: string) => MetricRef, keys: string[], total: number) {
  let best: { key: string; delta: number; change: number; share: number } | null = null;
  for (const key of keys) {
    const b = ctx.baseline(refOf(key));
    const v = ctx.value(refOf(key));
    if (!b || v === null) continue;
    const delta = v - b.mean;
    const share = delta / total;
    if (share > 0 && (!best || share > best.share))
      best = { key, delta, change: b.mean > 0 ? delta / b.mean : Number.NaN, share };
  }
  return best;
}

const shareOfIt = (share: number) => `(${Math.round(share * 100)}% of it)`;

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
    .filter((p) => p !== null && !Number.isNaN(p.change))
    .map((p) => `${p!.key} ${signedPct(p!.change)} ${shareOfIt(p!.share)}`);
  return parts.length ? `events ${signedPct(total / b.mean)}: ${parts.join(', ')}` : null;
}

/**
 * Null client ids by event type and device class: against the baseline's
 * counts when the baseline days kept them, else the day's own largest share.
 */
export function nullClientDrivers(ctx: CheckContext): string | null {
  const families: ShareMetric[] = ['null_client_types', 'null_client_devices'];
  const keys = families.map((f) => ctx.keysOf(f));
  const refs = families.map((f, i) => keys[i]!.map((k) => shareRef(f, k)));
  const today = (ref: MetricRef) => ctx.value(ref) ?? 0;
  const nulls = refs[0]!.reduce((sum, r) => sum + today(r), 0);
  if (nulls <= 0) return null;
  const withBaseline = refs[0]!.filter((r) => ctx.baseline(r) !== null);
  if (withBaseline.length) {
    const expected = withBaseline.reduce((sum, r) => sum + ctx.baseline(r)!.mean, 0);
    const total = withBaseline.reduce((sum, r) => sum + today(r), 0) - expected;
    if (total >= 1) {
      const parts = families
        .map((f, i) => strongest(ctx, (k) => shareRef(f, k), keys[i]!, total))
        .filter((p) => p !== null)
        .map((p) => `${p.key} ${signedCount(p.delta)} ${shareOfIt(p.share)}`);
      if (parts.length)
        return `null client ids ${signedCount(total)} against the baseline: ${parts.join(', ')}`;
    }
  }
  const parts = families.map((f, i) => {
    const [key, n] =
      keys[i]!.map((k) => [k, today(shareRef(f, k))] as const).sort((a, b) => b[1] - a[1])[0] ?? [];
    return key === undefined ? null : `${key} ${pct(n! / nulls)}`;
  });
  const named = parts.filter((p) => p !== null);
  return named.length ? `null client ids mostly on ${named.join(', ')}` : null;
}

/** For each missing expected field, the event types that lacked it, largest first (three at most). */
export function missingFieldDrivers(ctx: CheckContext): string | null {
  const byField = ctx.metrics.missing_field_types;
  if (!byField) return null;
  const parts = ctx.expectedFields
    .filter((f) => (ctx.metrics.missing_fields[f] ?? 0) > 0 && byField[f])
    .map((f) => {
      const types = Object.entries(byField[f]!).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const total = types.reduce((sum, [, n]) => sum + n, 0);
      const shown = types.slice(0, 3).map(([t, n]) => `${t} ${pct(n / total)}`);
      return `${f} on ${shown.join(', ')}${types.length > 3 ? ` and ${types.length - 3} more` : ''}`;
    });
  return parts.length ? `missing ${parts.join('; ')}` : null;
}
