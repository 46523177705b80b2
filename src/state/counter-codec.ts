/**
 * The one place that names the day's counters in Redis: a field of the day's
 * counters hash per total ("events"), and "<prefix>:<name>" per counted name
 * ("event:page_viewed"). Encodes a batch's delta into the apply script's
 * arguments and decodes HGETALL back into typed DayCounters; nothing else
 * parses counter names. The Lua scripts write the names marked "Lua" below.
 */
import {
  COUNTER_FAMILIES,
  type CounterFamily,
  type DayCounters,
  emptyCounters,
  SCALAR_COUNTERS,
  type ScalarCounter,
} from '../aggregation/day-counters.ts';
import type { DayDelta } from '../aggregation/day-delta.ts';
import { dictionary } from '../dictionary.ts';
import { dayBaseMs, encodeClients } from './clients-codec.ts';
import { encodeIntraday } from './intraday-codec.ts';

const SCALAR_FIELDS: Record<ScalarCounter, string> = {
  events: 'events',
  nullClient: 'null_client',
  purchases: 'purchases',
  revenueCents: 'revenue_cents',
  revenueDedupCents: 'revenue_dedup_cents', // Lua: transactions
  duplicateTransactions: 'duplicate_transactions', // Lua: transactions
  lateEvents: 'late_events', // Lua: apply
  sessions: 'sessions', // Lua: clients
  sessionMs: 'session_ms', // Lua: clients
  sessionPages: 'session_pages', // Lua: clients
  sessionBounces: 'session_bounces', // Lua: clients
  sessionStragglers: 'session_stragglers', // Lua: clients
  batchesWithoutReplica: 'batches_without_replica', // DayState.awaitReplicas
  duplicateEvents: 'duplicate_events',
};

/** The hash field of a total, for the few written outside the apply script. */
export const scalarField = (name: ScalarCounter): string => SCALAR_FIELDS[name];

const FAMILY_PREFIXES: Record<CounterFamily, string> = {
  eventNames: 'event:',
  missingFields: 'missing:',
  aliases: 'alias:',
  fieldSets: 'fieldset:',
  schemaIds: 'schema:',
  problems: 'problem:',
  rejected: 'rejected:',
  planRejected: 'plan_rejected:',
  channels: 'channel:', // Lua: clients
  devices: 'device:',
  utmSources: 'utm:',
  sessionLengths: 'session_len:', // Lua: clients
  nullClientTypes: 'null_client_event:',
  nullClientDevices: 'null_client_device:',
  missingFieldTypes: 'missing_event:',
  roleEvents: 'role:',
  currencyRevenueCents: 'revenue_currency:',
  currencyPurchases: 'purchases_currency:',
  appVersions: 'app_version:',
  trackerVersions: 'tracker_version:',
};

const SCALAR_BY_FIELD = new Map(SCALAR_COUNTERS.map((s) => [SCALAR_FIELDS[s], s]));

/**
 * Counters (the sum of `parts`) as hash fields and increments; integers as
 * strings (Lua prints large doubles in exponent form).
 */
export function encodeCounters(...parts: DayCounters[]): Record<string, string> {
  const sums = new Map<string, number>();
  const add = (field: string, n: number) => sums.set(field, (sums.get(field) ?? 0) + n);
  for (const c of parts) {
    for (const s of SCALAR_COUNTERS) if (c[s] !== 0) add(SCALAR_FIELDS[s], c[s]);
    for (const f of COUNTER_FAMILIES) {
      const prefix = FAMILY_PREFIXES[f];
      for (const [name, n] of c[f]) add(prefix + name, n);
    }
  }
  const out = dictionary<string>();
  for (const [field, n] of sums) if (n !== 0) out[field] = String(n);
  return out;
}

/** HGETALL of the counters hash (a flat field/value list) as typed counters; unknown fields are ignored. */
export function decodeCounters(flat: readonly string[]): DayCounters {
  const c = emptyCounters();
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    const n = Number(flat[i + 1]);
    const scalar = SCALAR_BY_FIELD.get(field);
    if (scalar) {
      c[scalar] = n;
      continue;
    }
    const sep = field.indexOf(':');
    if (sep < 0) continue;
    const family = FAMILY_BY_PREFIX.get(field.slice(0, sep + 1));
    if (family) c[family].set(field.slice(sep + 1), n);
  }
  return c;
}
const FAMILY_BY_PREFIX = new Map(COUNTER_FAMILIES.map((f) => [FAMILY_PREFIXES[f], f]));

/** A batch's delta for one day as the apply script reads it (see lua/apply-day-batch.lua). */
export function encodeDelta(delta: DayDelta): string {
  const gapMs = delta.traffic.sessionGapMinutes * 60_000;
  const base = dayBaseMs(delta.day);
  const clients = encodeClients(delta.clients, base, gapMs);
  return JSON.stringify({
    c: encodeCounters(delta.counters, clients.asNew),
    tx: delta.transactions.map(([id, ts, cents]) => [id, String(ts), String(cents)]),
    // see clients-codec.ts: client and its value as if new to the day, flat; the runs of those with more than two
    cl: clients.flat,
    clm: clients.more,
    atc: [...delta.funnel.atc],
    checkout: [...delta.funnel.checkout],
    purchase: [...delta.funnel.purchase],
    gap: String(gapMs),
    base: String(base),
    // tracking-plan violations: triple, events, first ms, last ms, sample coordinates
    cv: [...delta.violations.byTriple].map(([triple, t]) => [
      triple,
      t.count,
      String(t.firstMs),
      String(t.lastMs),
      t.samples,
    ]),
    // intraday slots: `it` increments by field, `imin`/`imax` each slot's first and last event time
    ...encodeIntraday(delta.intraday),
    // event ids counted by this slice (each once)
    ids: delta.eventIds,
  });
}
