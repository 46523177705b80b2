/**
 * The day's `intraday` hash (lua/includes/intraday.lua writes it), the one
 * place that names its fields: `c<TAB>slot<TAB>type` events of a type in a
 * slot, `n<TAB>slot` events without a client id, `t<TAB>slot` all events,
 * `f<TAB>slot<TAB>type` and
 * `z<TAB>slot<TAB>type` the first and last event time of a type in a slot
 * (the day's gaps to the second). A tab never occurs in an
 * event type (sender text is made safe first).
 */
import { emptySeries, type IntradayDay, type IntradayTally, SLOTS_PER_DAY } from '../aggregation/intraday.ts';
import { dictionary } from '../dictionary.ts';

const TAB = '\t';

/**
 * A batch's tally as the apply script takes it: increments by field, and
 * times that only move earlier (`imin`) or later (`imax`) by field.
 */
export function encodeIntraday(t: IntradayTally): {
  it: Record<string, number>;
  imin: Record<string, string>;
  imax: Record<string, string>;
} {
  const it = dictionary<number>();
  for (const [type, bySlot] of t.counts)
    for (const [slot, n] of bySlot) it[`c${TAB}${slot}${TAB}${type}`] = n;
  for (const [slot, n] of t.nullClients) it[`n${TAB}${slot}`] = n;
  for (const [slot, n] of t.totals) it[`t${TAB}${slot}`] = n;
  const imin = dictionary<string>();
  const imax = dictionary<string>();
  for (const [type, bySlot] of t.spans)
    for (const [slot, span] of bySlot) {
      imin[`f${TAB}${slot}${TAB}${type}`] = String(span.first);
      imax[`z${TAB}${slot}${TAB}${type}`] = String(span.last);
    }
  return { it, imin, imax };
}

/** HGETALL of the hash (an object) as series of SLOTS_PER_DAY entries. */
export function decodeIntraday(hash: Record<string, string>): IntradayDay {
  const day: IntradayDay = {
    byType: new Map(),
    nullClients: emptySeries(),
    totals: emptySeries(),
    spans: new Map(),
  };
  for (const [field, value] of Object.entries(hash)) {
    const kind = field.slice(0, 2);
    const rest = field.slice(2);
    // `l<TAB>type`, a type's latest event time, was written before the slot spans replaced it
    if (kind === `l${TAB}`) continue;
    const sep = rest.indexOf(TAB);
    const slot = Number(sep < 0 ? rest : rest.slice(0, sep));
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS_PER_DAY) continue;
    const n = Number(value);
    if (kind === `n${TAB}`) day.nullClients[slot] = n;
    else if (kind === `t${TAB}`) day.totals[slot] = n;
    else if ((kind === `f${TAB}` || kind === `z${TAB}`) && sep >= 0) {
      const type = rest.slice(sep + 1);
      let bySlot = day.spans.get(type);
      if (!bySlot) {
        bySlot = new Map();
        day.spans.set(type, bySlot);
      }
      const span = bySlot.get(slot) ?? { first: n, last: n };
      if (kind === `f${TAB}`) span.first = n;
      else span.last = n;
      bySlot.set(slot, span);
    } else if (kind === `c${TAB}` && sep >= 0) {
      const type = rest.slice(sep + 1);
      let series = day.byType.get(type);
      if (!series) {
        series = emptySeries();
        day.byType.set(type, series);
      }
      series[slot] = n;
    }
  }
  return day;
}
