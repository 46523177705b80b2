/**
 * Names the sender chooses (event names, field names, utm_source values) go
 * into reports and stored summaries only when they look like names, and only
 * the most frequent few: a tracker that sends e-mail addresses as event names
 * must not put them in a report, nor grow it without bound. The rest is summed
 * under `other (N distinct)`. Pure.
 */

import { dictionary } from '../dictionary.ts';
import { EVENT_NAME, FIELD_NAME } from '../validation/name-shapes.ts';

export { EVENT_NAME, FIELD_NAME };
/** utm_source values, as the channel rules lower-case them. */
export const UTM_SOURCE = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

export const otherKey = (distinct: number) => `other (${distinct} distinct)`;
export const isOtherKey = (key: string) => /^other \(\d+ distinct\)$/.test(key);

export interface NameBounds {
  /** Names always kept as they are (configured event names, expected fields). */
  keep?: ReadonlySet<string>;
  looksLikeName: (name: string) => boolean;
  /** How many other names that look right are kept, the most frequent first. */
  top: number;
}

export function boundNames(counts: Record<string, number>, bounds: NameBounds): Record<string, number> {
  const out = dictionary<number>();
  const candidates: [string, number][] = [];
  let otherCount = 0;
  let otherDistinct = 0;
  for (const [name, n] of Object.entries(counts)) {
    if (bounds.keep?.has(name)) out[name] = n;
    else if (bounds.looksLikeName(name)) candidates.push([name, n]);
    else {
      otherCount += n;
      otherDistinct++;
    }
  }
  candidates.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [name, n] of candidates.slice(0, bounds.top)) out[name] = n;
  for (const [, n] of candidates.slice(bounds.top)) {
    otherCount += n;
    otherDistinct++;
  }
  if (otherDistinct > 0) out[otherKey(otherDistinct)] = otherCount;
  return out;
}

/** A field set (comma-joined names) is shown when every name in it looks like a field name. */
export const looksLikeFieldSet = (set: string) => set.split(',').every((f) => f === '' || FIELD_NAME.test(f));
