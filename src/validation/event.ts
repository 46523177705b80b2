/**
 * Validates one decoded tracking event. Structural failures reject the message
 * (it goes to the dead-letter topic); field problems are tallied and the event
 * is accepted, so the close-out can tell "tracking broke" from "message broke".
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EventRole } from '../config/formats/index.ts';
import {
  CURRENCY_CODES,
  type IngestRules,
  parseMonitorConfig,
  type ResolvedSource,
} from '../config/monitor-config.ts';
import type { RejectReason } from '../outcome.ts';
import { ABSENT, EventReader, pointerOf, tokensOf } from './event-reader.ts';
import { safeText } from './safe-text.ts';
import type { PlanVerdict, TrackingPlan } from './tracking-plan.ts';

/** ISO-8601 with a zone (Z or ±hh:mm), as the trackers send it. */
export const TimestampSchema = z.iso.datetime({ offset: true });

/** What a purchase must carry to count as a clean one: an order id and its revenue. */
const MAX_TRANSACTION_ID = 200;

const OrderIdSchema = z.union([
  z.string().trim().min(1).max(MAX_TRANSACTION_ID),
  z
    .number()
    .int()
    .nonnegative()
    .transform((n) => String(n)),
]);
/** Revenue in the purchase's currency; above 1e10 is not a real order. */
const RevenueSchema = z.number().finite().nonnegative().max(1e10);
const CurrencySchema = z.string().refine((c) => CURRENCY_CODES.has(c));

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
  /** The sender's event id (a retried send carries the same one), or null where the format has none. */
  eventId: string | null;
  /** The funnel role its name plays (page view, add to cart, checkout started, purchase), or null. */
  role: EventRole | null;
  /** The app's release and the tracker library's version, where the format carries them. */
  appVersion: string | null;
  trackerVersion: string | null;
  clientId: string | null;
  /** The name as sent, or null when missing; capped in length. */
  eventName: string | null;
  pageUrl: string | null;
  referrer: string | null;
  userAgent: string | null;
  /** Field names as sent (top level, and inside the format's payload objects), sorted and comma-joined: schema drift shows as a new set. */
  fieldSet: string;
  missingFields: readonly string[];
  aliasesUsed: readonly string[];
  problems: readonly FieldProblem[];
  /** Present on a purchase event whose payload (the object holding its order id) is there. */
  purchase: { transactionId: string | null; revenueCents: number; currency: string | null } | null;
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

/** An event id longer than this is kept as its SHA-1: ids are compared, never shown. */
const MAX_EVENT_ID = 64;

/** The flat export's source, for callers that do not configure one. */
const DEFAULT_SOURCE: ResolvedSource = parseMonitorConfig({}).source;

/** The display name of an expected field or JSON-text field: a top-level name as is, else its pointer. */
const fieldName = (field: string) => {
  const tokens = tokensOf(pointerOf(field));
  return tokens.length === 1 ? tokens[0]! : field;
};

export class EventValidator {
  private readonly known: Set<string>;
  private readonly reader: EventReader;
  private readonly expected: { name: string; slot: number }[];
  private readonly jsonText: { name: string; slot: number; top: string | null }[];
  private readonly at: {
    timestamp: number[];
    clientId: number[];
    eventName: number[];
    pageUrl: number[];
    referrer: number[];
    userAgent: number[];
    eventId: number[];
    appVersion: number[];
    trackerVersion: number[];
    orderId: number[];
    revenue: number[];
    currency: number[];
    /** The object a purchase's order id sits in: its presence makes a purchase with data (null: the event itself). */
    purchasePayload: number | null;
  };
  private readonly roles = new Map<string, EventRole>();
  private readonly shapeObjects: { prefix: string; slot: number }[];
  private findings = new Findings();

  constructor(
    private readonly rules: IngestRules,
    /** Absent: no plan, no contract checks. */
    private readonly plan: TrackingPlan | null = null,
    private readonly source: ResolvedSource = DEFAULT_SOURCE,
  ) {
    this.known = new Set(rules.knownEventNames);
    const r = new EventReader(rules.fieldAliases, source.jsonTextFields);
    r.onAlias = (alias) => this.findings.alias(alias);
    this.reader = r;
    const { fields, purchase, events } = source.mapping;
    const slots = (pointers: readonly string[] | undefined) => (pointers ?? []).map((p) => r.slot(p));
    this.at = {
      timestamp: slots(fields.timestamp),
      clientId: slots(fields.clientId),
      eventName: slots(fields.eventName),
      pageUrl: slots(fields.pageUrl),
      referrer: slots(fields.referrer),
      userAgent: slots(fields.userAgent),
      eventId: slots(fields.eventId),
      appVersion: slots(fields.appVersion),
      trackerVersion: slots(fields.trackerVersion),
      orderId: slots(purchase.orderId),
      revenue: slots(purchase.revenue),
      currency: slots(purchase.currency),
      purchasePayload: payloadOf(purchase.orderId[0]!, r),
    };
    this.expected = rules.expectedFields.map((f) => ({ name: f, slot: r.slot(f) }));
    this.jsonText = source.jsonTextFields.map((f) => {
      const tokens = tokensOf(f);
      return { name: fieldName(f), slot: r.slot(f), top: tokens.length === 1 ? tokens[0]! : null };
    });
    for (const [role, names] of Object.entries(events) as [EventRole, readonly string[]][]) {
      for (const name of names) if (!this.roles.has(name)) this.roles.set(name, role);
    }
    this.shapeObjects = source.shapeObjects.map((p) => ({
      prefix: `${tokensOf(p).join('.')}.`,
      slot: r.slot(p),
    }));
  }

  validate(raw: Record<string, unknown>, nowMs: number): Validated {
    const found = new Findings();
    this.findings = found;
    const r = this.reader;
    r.begin(raw);
    const at = this.at;

    const ts = r.first(at.timestamp);
    if (ts === ABSENT || ts === null || ts === '') {
      return { ok: false, reason: 'timestamp_missing', detail: 'no timestamp' };
    }
    const tsMs = typeof ts === 'string' ? timestampMs(ts) : typeof ts === 'number' ? epochMs(ts) : null;
    if (tsMs === null) {
      return {
        ok: false,
        reason: 'timestamp_invalid',
        detail: 'timestamp is not ISO-8601 with a zone, nor epoch seconds or milliseconds',
      };
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

    for (const f of this.expected) if (r.get(f.slot) === ABSENT) found.missing(f.name);

    const clientId = str(r.first(at.clientId), MAX_CLIENT_ID);
    if (clientId === null) found.add('client_id_null', 'client_id');

    const eventName = str(r.first(at.eventName), MAX_NAME);
    if (eventName === null) found.add('event_name_missing', 'event_name');
    else if (!this.known.has(eventName)) found.add('event_name_unknown', 'event_name');

    for (const j of this.jsonText)
      if (r.jsonTextAt(j.slot) === 'invalid') found.add('event_data_invalid_json', j.name);

    let contract: PlanVerdict | null = null;
    if (this.plan) {
      const verdict = this.plan.check(eventName, this.planView(raw));
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

    const role = eventName === null ? null : (this.roles.get(eventName) ?? null);
    let purchase: AcceptedEvent['purchase'] = null;
    if (role === 'purchase' && (at.purchasePayload === null || r.containerAt(at.purchasePayload) !== null))
      purchase = this.checkPurchase(found);

    return {
      ok: true,
      event: {
        tsMs,
        eventId: eventIdOf(r.first(at.eventId)),
        role,
        appVersion: at.appVersion.length ? str(r.first(at.appVersion), MAX_NAME) : null,
        trackerVersion: at.trackerVersion.length ? str(r.first(at.trackerVersion), MAX_NAME) : null,
        clientId,
        eventName,
        pageUrl: str(r.first(at.pageUrl)),
        referrer: str(r.first(at.referrer)),
        userAgent: str(r.first(at.userAgent)),
        fieldSet: this.shapeObjects.length === 0 ? fieldSetOf(raw) : this.nestedFieldSet(raw),
        missingFields: found.missingFields ?? NONE,
        aliasesUsed: found.aliasesUsed ?? NONE,
        problems: found.problems ?? NO_PROBLEMS,
        purchase,
        contract,
      },
    };
  }

  /** An event's name (as the mapping reads it) and the view the tracking plan judges, nothing validated. */
  describe(raw: Record<string, unknown>): { name: string | null; view: Record<string, unknown> } {
    this.findings = new Findings();
    this.reader.begin(raw);
    return { name: str(this.reader.first(this.at.eventName), MAX_NAME), view: this.planView(raw) };
  }

  /** The event as the tracking plan judges it: as sent, with JSON-text fields read as the objects they hold. */
  private planView(raw: Record<string, unknown>): Record<string, unknown> {
    let view = raw;
    for (const j of this.jsonText) {
      if (j.top === null) continue;
      const parsed = this.reader.jsonTextAt(j.slot);
      if (parsed !== null && parsed !== 'invalid') {
        if (view === raw) view = { ...raw };
        view[j.top] = parsed;
      }
    }
    return view;
  }

  private checkPurchase(found: Findings): NonNullable<AcceptedEvent['purchase']> {
    const r = this.reader;
    const tx = OrderIdSchema.safeParse(r.first(this.at.orderId));
    let transactionId: string | null = null;
    if (tx.success) transactionId = safeText(tx.data, MAX_TRANSACTION_ID);
    else found.add('transaction_id_missing', 'transaction_id');

    let revenueCents = 0;
    const revenue = r.first(this.at.revenue);
    if (revenue === ABSENT || revenue === null) found.add('revenue_missing', 'revenue');
    else if (typeof revenue === 'number' && revenue < 0) found.add('revenue_negative', 'revenue');
    else {
      const ok = RevenueSchema.safeParse(revenue);
      if (ok.success) revenueCents = Math.round(ok.data * 100);
      else found.add('revenue_invalid', 'revenue');
    }
    const code = CurrencySchema.safeParse(r.first(this.at.currency));
    return { transactionId, revenueCents, currency: code.success ? code.data : this.source.currency };
  }

  /** The field set of a format that keeps its payload in objects: their keys join the top level's, prefixed. */
  private nestedFieldSet(raw: Record<string, unknown>): string {
    const names = Object.keys(raw);
    for (const o of this.shapeObjects) {
      const v = this.reader.get(o.slot);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        for (const k in v) if (Object.hasOwn(v, k)) names.push(o.prefix + k);
      }
    }
    return fieldSetOfNames(names);
  }
}

/** The slot of the object a pointer's last key sits in; null for a top-level key (the event itself). */
function payloadOf(pointer: string, r: EventReader): number | null {
  const cut = pointer.lastIndexOf('/');
  return cut <= 0 ? null : r.slot(pointer.slice(0, cut));
}

/** An event id as the state keeps it: text (numbers written out), long ones as their SHA-1. */
function eventIdOf(v: unknown): string | null {
  const id = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  if (id === '') return null;
  return id.length <= MAX_EVENT_ID ? id : `sha1:${createHash('sha1').update(id).digest('hex')}`;
}

/** Epoch seconds or milliseconds, told apart by size (seconds reach 1e11 in the year 5138). */
function epochMs(n: number): number | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
}

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
    set = fieldSetOfNames(keys);
    if (fieldSets.size >= MAX_CACHED_SHAPES) fieldSets.clear(); // hostile senders: bounded memory
    fieldSets.set(asSent, set);
  }
  lastKeys = keys;
  lastSet = set;
  return set;
}

function fieldSetOfNames(names: string[]): string {
  if (names.length > MAX_FIELDS_IN_SET) names.length = MAX_FIELDS_IN_SET;
  return names
    .map((k) => safeText(k, MAX_NAME).replace(/[,\s]/g, '_'))
    .sort()
    .join(',');
}
