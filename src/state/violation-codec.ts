/**
 * Reads the day's `contract` hash (lua/includes/violations.lua writes it)
 * back into typed violation records, most frequent first.
 */
import { type Coordinate, coordinateOf, type Triple, tripleOf } from '../aggregation/violations.ts';

export interface ViolationRecord extends Triple {
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  samples: Coordinate[];
}

/** The triple distinct violations past the day's limit count under. */
export const OVERFLOW_RULE = 'overflow';

export function decodeViolations(flat: readonly string[]): ViolationRecord[] {
  const fields = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  const out: ViolationRecord[] = [];
  for (const [field, value] of fields) {
    if (!field.startsWith('n|')) continue;
    const triple = field.slice(2);
    const samples = fields.get(`s|${triple}`);
    out.push({
      ...tripleOf(triple),
      count: Number(value),
      firstSeenMs: Number(fields.get(`f|${triple}`) ?? 0),
      lastSeenMs: Number(fields.get(`l|${triple}`) ?? 0),
      samples: samples ? samples.split(',').map(coordinateOf) : [],
    });
  }
  return out.sort(
    (a, b) =>
      b.count - a.count ||
      a.eventName.localeCompare(b.eventName) ||
      a.path.localeCompare(b.path) ||
      a.rule.localeCompare(b.rule),
  );
}
