/**
 * Validates one decoded tracking event. Structural failures reject the message
 * (it goes to the dead-letter topic); field problems are tallied and the event
 * is accepted, so the close-out can tell "tracking broke" from "message broke".
 */
import { z } from 'zod';
import type { IngestRules } from '../config/monitor-config.ts';
import type { RejectReason } from '../outcome.ts';
import { safeText } from './safe-text.ts';
import type { PlanVerdict, TrackingPlan } from './tracking-plan.ts';

/** ISO-8601 with a zone (Z or ±hh:mm), as the trackers send it. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** What a checkout_completed must carry in event_data to count as a clean purchase. */
const MAX_TRANSACTION_ID = 200;

export const PurchaseDataSchema = z.object({
  transaction_id: z.string().trim().min(1).max(MAX_TRANSACTION_ID),
  /** Revenue in the shop's currency; above 1e10 is not a real order. */
  revenue: z.number().finite().nonnegative().max(1e10),
});
export type PurchaseData = z.infer<typeof PurchaseDataSchema>;

export const FIELD_PROBLEM_KINDS = [
  'client_id_null',
  'field_missing',
  'alias_used',
  'event_name_missing',
  'event_name_unknown',
  'event_data_invalid_json',
  'transaction_id_missing',
  'revenue_missing',
  'revenue_invalid',
  'revenue_negative',
  'timestamp_future',
] as const;
export type FieldProblemKind = (typeof FIELD_PROBLEM_KINDS)[number];

export interface FieldProblem {
  kind: FieldProblemKind;
  /** The field concerned: an expected field name or a configured alias, never a value. */
  field: string;
}

export interface AcceptedEvent {
  tsMs: number;
  clientId: string | null;
  /** The name as sent, or null when missing; capped in length. */
  eventName: string | null;
  pageUrl: string | null;
  referrer: string | null;
  userAgent: string | null;
  /** Top-level field names as sent, sorted and comma-joined: schema drift shows as a new set. */
  fieldSet: string;
  missingFields: string[];
  aliasesUsed: string[];
  problems: FieldProblem[];
  /** Present on checkout_completed with parseable event_data. */
  purchase: { transactionId: string | null; revenueCents: number } | null;
  /** The tracking plan's verdict when the event broke it (and was marked, not rejected); else null. */
  contract: PlanVerdict | null;
}

export type Validated =
  | { ok: true; event: AcceptedEvent }
  | { ok: false; reason: Exclude<RejectReason, 'contract_violation'>; detail: string }
  /** The tracking plan rejects the event: it is dead-lettered, and its violations still count on its day. */
  | { ok: false; reason: 'contract_violation'; detail: string; tsMs: number; contract: PlanVerdict };

const MAX_NAME = 64;
const MAX_FIELDS_IN_SET = 40;
/** Longest client id kept; real ones are UUIDs or GA-style ids, far shorter. */
const MAX_CLIENT_ID = 256;
/** URLs and user agents: enough for any real one, bounded for a hostile one. */
const MAX_TEXT = 4096;

/** A non-empty string from the sender, made safe for the state (see safe-text.ts), or null. */
const str = (v: unknown, maxLength = MAX_TEXT): string | null =>
  typeof v === 'string' && v.length > 0 ? safeText(v, maxLength) : null;

export class EventValidator {
  private readonly known: Set<string>;
  /** canonical field → the aliases that may stand for it */
  private readonly aliasesOf = new Map<string, string[]>();

  constructor(
    private readonly rules: IngestRules,
    /** Absent: no plan, no contract checks. */
    private readonly plan: TrackingPlan | null = null,
  ) {
    this.known = new Set(rules.knownEventNames);
    for (const [alias, canonical] of Object.entries(rules.fieldAliases)) {
      const list = this.aliasesOf.get(canonical) ?? [];
      list.push(alias);
      this.aliasesOf.set(canonical, list);
    }
  }

  validate(raw: Record<string, unknown>, nowMs: number): Validated {
    const aliasesUsed: string[] = [];
    const missingFields: string[] = [];
    const problems: FieldProblem[] = [];

    // The value of a canonical field, or of the first alias present (recorded).
    const field = (name: string): { present: boolean; value: unknown } => {
      if (Object.hasOwn(raw, name)) return { present: true, value: raw[name] };
      for (const alias of this.aliasesOf.get(name) ?? []) {
        if (Object.hasOwn(raw, alias)) {
          aliasesUsed.push(alias);
          problems.push({ kind: 'alias_used', field: alias });
          return { present: true, value: raw[alias] };
        }
      }
      return { present: false, value: undefined };
    };

    const ts = field('timestamp');
    if (!ts.present || ts.value === null || ts.value === '') {
      return { ok: false, reason: 'timestamp_missing', detail: 'no timestamp' };
    }
    if (typeof ts.value !== 'string' || !TimestampSchema.safeParse(ts.value).success) {
      return { ok: false, reason: 'timestamp_invalid', detail: 'timestamp is not ISO-8601 with a zone' };
    }
    const tsMs = Date.parse(ts.value);
    if (!Number.isFinite(tsMs))
      return { ok: false, reason: 'timestamp_invalid', detail: 'timestamp out of range' };
    if (tsMs - nowMs > this.rules.maxFutureSkewSeconds * 1000) {
      problems.push({ kind: 'timestamp_future', field: 'timestamp' });
    }

    const values = new Map<string, unknown>();
    for (const name of this.rules.expectedFields) {
      const f = name === 'timestamp' ? ts : field(name);
      if (!f.present) {
        missingFields.push(name);
        problems.push({ kind: 'field_missing', field: name });
      }
      values.set(name, f.value);
    }

    const clientId = str(
      values.has('client_id') ? values.get('client_id') : field('client_id').value,
      MAX_CLIENT_ID,
    );
    if (clientId === null) problems.push({ kind: 'client_id_null', field: 'client_id' });

    const eventName = str(
      values.has('event_name') ? values.get('event_name') : field('event_name').value,
      MAX_NAME,
    );
    if (eventName === null) problems.push({ kind: 'event_name_missing', field: 'event_name' });
    else if (!this.known.has(eventName)) problems.push({ kind: 'event_name_unknown', field: 'event_name' });

    const data = parseEventData(
      values.has('event_data') ? values.get('event_data') : field('event_data').value,
    );
    if (data === 'invalid') problems.push({ kind: 'event_data_invalid_json', field: 'event_data' });

    let contract: PlanVerdict | null = null;
    if (this.plan) {
      const verdict = this.plan.check(eventName, planView(raw, data));
      if (verdict.violations.length > 0) {
        if (verdict.action === 'reject') {
          const first = verdict.violations[0]!;
          return {
            ok: false,
            reason: 'contract_violation',
            detail: `breaks the tracking plan at ${first.path} (${first.rule})`,
            tsMs,
            contract: verdict,
          };
        }
        contract = verdict;
      }
    }

    let purchase: AcceptedEvent['purchase'] = null;
    if (eventName === 'checkout_completed' && data !== 'invalid' && data !== null) {
      purchase = checkPurchase(data, problems);
    }

    return {
      ok: true,
      event: {
        tsMs,
        clientId,
        eventName,
        pageUrl: str(values.get('page_url')),
        referrer: str(values.get('referrer')),
        userAgent: str(values.get('user_agent')),
        fieldSet: fieldSetOf(raw),
        missingFields,
        aliasesUsed,
        problems,
        purchase,
        contract,
      },
    };
  }
}

/**
 * The event as the tracking plan judges it: as sent, with event_data parsed
 * into an object when it is one, so the plan's rules reach inside it.
 */
export function planView(
  raw: Record<string, unknown>,
  data: ReturnType<typeof parseEventData> = parseEventData(raw.event_data),
): Record<string, unknown> {
  return data !== null && data !== 'invalid' ? { ...raw, event_data: data } : raw;
}

/** event_data arrives as JSON text (as in the export) or as an object. */
export function parseEventData(value: unknown): Record<string, unknown> | null | 'invalid' {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'object') return Array.isArray(value) ? 'invalid' : (value as Record<string, unknown>);
  if (typeof value !== 'string') return 'invalid';
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : 'invalid';
  } catch {
    return 'invalid';
  }
}

function checkPurchase(
  data: Record<string, unknown>,
  problems: FieldProblem[],
): NonNullable<AcceptedEvent['purchase']> {
  const parsed = PurchaseDataSchema.safeParse(data);
  if (parsed.success) {
    return {
      transactionId: safeText(parsed.data.transaction_id, MAX_TRANSACTION_ID),
      revenueCents: Math.round(parsed.data.revenue * 100),
    };
  }
  let transactionId: string | null = null;
  const tx = PurchaseDataSchema.shape.transaction_id.safeParse(data.transaction_id);
  if (tx.success) transactionId = safeText(tx.data, MAX_TRANSACTION_ID);
  else problems.push({ kind: 'transaction_id_missing', field: 'transaction_id' });

  let revenueCents = 0;
  const revenue = data.revenue;
  if (revenue === undefined || revenue === null) problems.push({ kind: 'revenue_missing', field: 'revenue' });
  else if (typeof revenue === 'number' && revenue < 0)
    problems.push({ kind: 'revenue_negative', field: 'revenue' });
  else {
    const ok = PurchaseDataSchema.shape.revenue.safeParse(revenue);
    if (ok.success) revenueCents = Math.round(ok.data * 100);
    else problems.push({ kind: 'revenue_invalid', field: 'revenue' });
  }
  return { transactionId, revenueCents };
}

/**
 * Field sets by the keys' order as sent: producers send the same few shapes over
 * and over, so the sort-and-join runs once per shape, not once per event.
 */
const fieldSets = new Map<string, string>();
const MAX_CACHED_SHAPES = 1_000;

function fieldSetOf(raw: Record<string, unknown>): string {
  const keys = Object.keys(raw);
  if (keys.length > MAX_FIELDS_IN_SET) keys.length = MAX_FIELDS_IN_SET;
  const asSent = keys.join('\u0000');
  let set = fieldSets.get(asSent);
  if (set === undefined) {
    set = keys
      .map((k) => safeText(k, MAX_NAME).replace(/[,\s]/g, '_'))
      .sort()
      .join(',');
    if (fieldSets.size >= MAX_CACHED_SHAPES) fieldSets.clear(); // hostile senders: bounded memory
    fieldSets.set(asSent, set);
  }
  return set;
}
