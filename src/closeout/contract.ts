/**
 * The report's tracking-plan section: the day's violations per (event, path,
 * rule) with the share of the event type they hit, and whether each is new
 * since the previous closed day. Pure.
 */
import { z } from 'zod';
import type { DayCounters } from '../aggregation/day-counters.ts';
import { OVERFLOW_RULE, type ViolationRecord } from '../state/violation-codec.ts';
import { EVENT_NAME } from '../validation/name-shapes.ts';
import { MISSING_NAME, OTHER_NAME } from '../validation/tracking-plan.ts';

export const ContractViolationSchema = z.object({
  event_name: z.string(),
  path: z.string(),
  rule: z.string(),
  /** Events that broke the rule at this path (each once, however many items did). */
  count: z.number().int(),
  /** Events of this type on the day, accepted or rejected by the plan; null for the overflow entry. */
  events_of_type: z.number().int().nullable(),
  share: z.number().nullable(),
  first_seen: z.string(),
  last_seen: z.string(),
  /** Kafka coordinates of the first few: where to read them, never their content. */
  samples: z.array(z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() })),
  /** Not seen on the previous closed day (false when that day had no plan section). */
  new: z.boolean(),
});
export type ContractViolation = z.infer<typeof ContractViolationSchema>;

export const ContractSectionSchema = z.object({
  plan_version: z.string(),
  violations: z.array(ContractViolationSchema),
});
export type ContractSection = z.infer<typeof ContractSectionSchema>;

export const tripleId = (v: Pick<ContractViolation, 'event_name' | 'path' | 'rule'>) =>
  `${v.event_name} ${v.path} ${v.rule}`;

/** Events of a type on the day: accepted under that name, plus those the plan rejected. */
function eventsOfType(c: DayCounters, eventName: string): number {
  const rejected = c.planRejected.get(eventName) ?? 0;
  if (eventName === MISSING_NAME) {
    let named = 0;
    for (const n of c.eventNames.values()) named += n;
    return Math.max(0, c.events - named) + rejected;
  }
  if (eventName === OTHER_NAME) {
    // names that do not look like one are recorded as (other): so are their events
    let others = 0;
    for (const [name, n] of c.eventNames) if (!EVENT_NAME.test(name)) others += n;
    return others + rejected;
  }
  return (c.eventNames.get(eventName) ?? 0) + rejected;
}

export function contractSection(
  planVersion: string,
  records: readonly ViolationRecord[],
  counters: DayCounters,
  previous: ContractSection | null,
): ContractSection {
  const before = previous ? new Set(previous.violations.map(tripleId)) : null;
  return {
    plan_version: planVersion,
    violations: records.map((r) => {
      const overflow = r.rule === OVERFLOW_RULE;
      const ofType = overflow ? null : eventsOfType(counters, r.eventName);
      const v = {
        event_name: r.eventName,
        path: r.path,
        rule: r.rule,
        count: r.count,
        events_of_type: ofType,
        share: ofType ? Number((r.count / ofType).toFixed(6)) : null,
        first_seen: new Date(r.firstSeenMs).toISOString(),
        last_seen: new Date(r.lastSeenMs).toISOString(),
        samples: r.samples,
      };
      return { ...v, new: before !== null && !before.has(tripleId(v)) };
    }),
  };
}
