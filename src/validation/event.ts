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
  missingFields: readonly string[];
  aliasesUsed: readonly string[];
  problems: readonly FieldProblem[];
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

/** A field the event does not carry (under its name or any alias). */
const ABSENT = Symbol('absent');

/**
 * Problems are values, not identities: one frozen object per kind and field,
 * so an event's problems allocate nothing (most events repeat the same few).
 */
const problemObjects = new Map<string, FieldProblem>();
function problemOf(kind: FieldProblemKind, field: string): FieldProblem {
  const key = `${kind}\u0000${field}`;
  let p = problemObjects.get(key);
  if (p === undefined) {
    p = Object.freeze({ kind, field });
    if (problemObjects.size >= 10_000) problemObjects.clear(); // bounded: fields come from the config
    problemObjects.set(key, p);
  }
  return p;
}

/** What one validation collects as it goes; its lists are made on first use, most events have none. */
class Findings {
  aliasesUsed: string[] | null = null;
  missingFields: string[] | null = null;
  problems: FieldProblem[] | null = null;

  add(kind: FieldProblemKind, field: string) {
    if (this.problems) this.problems.push(problemOf(kind, field));
    else this.problems = [problemOf(kind, field)];
  }
  alias(alias: string) {
    if (this.aliasesUsed) this.aliasesUsed.push(alias);
    else this.aliasesUsed = [alias];
    this.add('alias_used', alias);
  }
  missing(field: string) {
    if (this.missingFields) this.missingFields.push(field);
    else this.missingFields = [field];
    this.add('field_missing', field);
  }
}

export class EventValidator {
  private readonly known: Set<string>;
  /** canonical field → the names it may arrive under: itself first, then its aliases */
  private readonly namesOf = new Map<string, readonly string[]>();

  constructor(
    private readonly rules: IngestRules,
    /** Absent: no plan, no contract checks. */
    private readonly plan: TrackingPlan | null = null,
  ) {
    this.known = new Set(rules.knownEventNames);
    const aliasesOf = new Map<string, string[]>();
    for (const [alias, canonical] of Object.entries(rules.fieldAliases)) {
      aliasesOf.set(canonical, [...(aliasesOf.get(canonical) ?? []), alias]);
    }
    for (const name of new Set([...rules.expectedFields, ...USED_FIELDS]))
      this.namesOf.set(name, [name, ...(aliasesOf.get(name) ?? [])]);
  }

  /** The value of a canonical field, or of the first alias present (noted); ABSENT when neither is there. */
  private lookup(raw: Record<string, unknown>, name: string, found: Findings): unknown {
    const names = this.namesOf.get(name)!;
    if (Object.hasOwn(raw, name)) return raw[name];
    for (let i = 1; i < names.length; i++) {
      const alias = names[i]!;
      if (Object.hasOwn(raw, alias)) {
        found.alias(alias);
        return raw[alias];
      }
    }
    return ABSENT;
  }

  validate(raw: Record<string, unknown>, nowMs: number): Validated {
    const found = new Findings();

    const ts = this.lookup(raw, 'timestamp', found);
    if (ts === ABSENT || ts === null || ts === '') {
      return { ok: false, reason: 'timestamp_missing', detail: 'no timestamp' };
    }
    const tsMs = typeof ts === 'string' ? timestampMs(ts) : null;
    if (tsMs === null) {
      return { ok: false, reason: 'timestamp_invalid', detail: 'timestamp is not ISO-8601 with a zone' };
    }
    if (!Number.isFinite(tsMs))
      return { ok: false, reason: 'timestamp_invalid', detail: 'timestamp out of range' };
    if (tsMs > LATEST_NAMEABLE_MS || nowMs - tsMs > this.rules.maxPastDays * DAY_MS) {
      return {
        ok: false,
        reason: 'timestamp_out_of_range',
        detail: `timestamp more than ${this.rules.maxPastDays} days past (ingest.maxPastDays), or past the year 9999`,
      };
    }
    if (tsMs - nowMs > this.rules.maxFutureSkewSeconds * 1000) found.add('timestamp_future', 'timestamp');

    // expected fields, in the configured order: each looked up once
    let clientIdValue: unknown = ABSENT;
    let eventNameValue: unknown = ABSENT;
    let eventDataValue: unknown = ABSENT;
    let pageUrlValue: unknown;
    let referrerValue: unknown;
    let userAgentValue: unknown;
    for (const name of this.rules.expectedFields) {
      const value = name === 'timestamp' ? ts : this.lookup(raw, name, found);
      if (value === ABSENT) found.missing(name);
      const v = value === ABSENT ? undefined : value;
      if (name === 'client_id') clientIdValue = v;
      else if (name === 'event_name') eventNameValue = v;
      else if (name === 'event_data') eventDataValue = v;
      else if (name === 'page_url') pageUrlValue = v;
      else if (name === 'referrer') referrerValue = v;
      else if (name === 'user_agent') userAgentValue = v;
    }
    // the fields the monitor needs even when not configured as expected
    if (clientIdValue === ABSENT) clientIdValue = this.lookup(raw, 'client_id', found);
    if (eventNameValue === ABSENT) eventNameValue = this.lookup(raw, 'event_name', found);
    if (eventDataValue === ABSENT) eventDataValue = this.lookup(raw, 'event_data', found);

    const clientId = str(clientIdValue, MAX_CLIENT_ID);
    if (clientId === null) found.add('client_id_null', 'client_id');

    const eventName = str(eventNameValue, MAX_NAME);
    if (eventName === null) found.add('event_name_missing', 'event_name');
    else if (!this.known.has(eventName)) found.add('event_name_unknown', 'event_name');

    const data = parseEventData(eventDataValue === ABSENT ? undefined : eventDataValue);
    if (data === 'invalid') found.add('event_data_invalid_json', 'event_data');

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
      purchase = checkPurchase(data, found);
    }

    return {
      ok: true,
      event: {
        tsMs,
        clientId,
        eventName,
        pageUrl: str(pageUrlValue),
        referrer: str(referrerValue),
        userAgent: str(userAgentValue),
        fieldSet: fieldSetOf(raw),
        missingFields: found.missingFields ?? NONE,
        aliasesUsed: found.aliasesUsed ?? NONE,
        problems: found.problems ?? NO_PROBLEMS,
        purchase,
        contract,
      },
    };
  }
}

/** Fields the monitor reads whether or not the config expects them. */
const USED_FIELDS = ['timestamp', 'client_id', 'event_name', 'event_data'] as const;
const NONE: readonly string[] = Object.freeze([]);
const NO_PROBLEMS: readonly FieldProblem[] = Object.freeze([]);

/**
 * Epoch ms of an ISO-8601 timestamp with a zone; null when it is not one
 * (TimestampSchema decides). The trackers' own shape, "YYYY-MM-DDTHH:MM:SS.sssZ"
 * (or without the milliseconds), is read without the schema's regex or
 * Date.parse: its date part is judged by the schema once per day (cached),
 * its time part by its digits. Anything else goes through the schema.
 */
const DAY_MS = 86_400_000;
/** The last instant whose day is a four-digit year in every time zone: later ones no command could name. */
const LATEST_NAMEABLE_MS = Date.UTC(9999, 11, 31) - DAY_MS;

export function timestampMs(ts: string): number | null {
  const n = ts.length;
  if ((n === 24 || n === 20) && ts.charCodeAt(n - 1) === 90 /* Z */ && ts.charCodeAt(10) === 84 /* T */) {
    const midnight = midnightOf(ts.slice(0, 10));
    const h = twoDigits(ts, 11);
    const m = twoDigits(ts, 14);
    const sec = twoDigits(ts, 17);
    const ms = n === 24 && ts.charCodeAt(19) === 46 /* . */ ? threeDigits(ts, 20) : n === 20 ? 0 : -1;
    if (
      midnight !== null &&
      h >= 0 &&
      h < 24 &&
      m >= 0 &&
      m < 60 &&
      sec >= 0 &&
      sec < 60 &&
      ms >= 0 &&
      ts.charCodeAt(13) === 58 &&
      ts.charCodeAt(16) === 58 /* : */
    )
      return midnight + ((h * 60 + m) * 60 + sec) * 1000 + ms;
  }
  return TimestampSchema.safeParse(ts).success ? Date.parse(ts) : null;
}

const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
};
const twoDigits = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);
const threeDigits = (s: string, i: number) => digit(s, i) * 100 + digit(s, i + 1) * 10 + digit(s, i + 2);

/** Epoch ms of a "YYYY-MM-DD" day's UTC midnight, null when the schema refuses that date; cached. */
const midnights = new Map<string, number | null>();
function midnightOf(date: string): number | null {
  let v = midnights.get(date);
  if (v === undefined) {
    const iso = `${date}T00:00:00Z`;
    v = TimestampSchema.safeParse(iso).success ? Date.parse(iso) : null;
    if (midnights.size >= 10_000) midnights.clear(); // hostile senders: bounded memory
    midnights.set(date, v);
  }
  return v;
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
  found: Findings,
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
  else found.add('transaction_id_missing', 'transaction_id');

  let revenueCents = 0;
  const revenue = data.revenue;
  if (revenue === undefined || revenue === null) found.add('revenue_missing', 'revenue');
  else if (typeof revenue === 'number' && revenue < 0) found.add('revenue_negative', 'revenue');
  else {
    const ok = PurchaseDataSchema.shape.revenue.safeParse(revenue);
    if (ok.success) revenueCents = Math.round(ok.data * 100);
    else found.add('revenue_invalid', 'revenue');
  }
  return { transactionId, revenueCents };
}

/**
 * Field sets by the keys' order as sent: producers send the same few shapes over
 * and over, so the sort-and-join runs once per shape, not once per event, and
 * an event shaped like the one before it (the common case) allocates nothing.
 */
const fieldSets = new Map<string, string>();
const MAX_CACHED_SHAPES = 1_000;
let lastKeys: string[] = [];
let lastSet = '';

function fieldSetOf(raw: Record<string, unknown>): string {
  let i = 0;
  let same = true;
  for (const k in raw) {
    if (i >= MAX_FIELDS_IN_SET || k !== lastKeys[i]) {
      same = false;
      break;
    }
    i++;
  }
  if (same && i === lastKeys.length) return lastSet;
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
  lastKeys = keys;
  lastSet = set;
  return set;
}
