/**
 * Folds a batch's events into one delta per day, in memory, so that Redis is
 * written once per day per batch instead of once per event. Pure: no I/O.
 */
import type { ChannelRules, TrafficRules } from '../config/monitor-config.ts';
import type { RejectReason } from '../outcome.ts';
import type { AcceptedEvent } from '../validation/event.ts';
import { classifyChannel, utmSourceOf } from './channel.ts';
import { classifyDevice, type DeviceClass } from './device.ts';

/** Names of the per-day counters, shared by the Lua scripts, the close-out and the metrics. */
export const COUNTER = {
  events: 'events',
  nullClient: 'null_client',
  purchases: 'purchases',
  revenueCents: 'revenue_cents',
  revenueDedupCents: 'revenue_dedup_cents',
  duplicateTransactions: 'duplicate_transactions',
  lateEvents: 'late_events',
  sessions: 'sessions',
  sessionMs: 'session_ms',
  sessionPages: 'session_pages',
  sessionBounces: 'session_bounces',
  /** Runs of a client's events that arrived after it had started two newer sessions: left out. */
  sessionStragglers: 'session_stragglers',
  /** Sessions by length bucket (upper bound in seconds, or "inf"): the median comes from these. */
  sessionLength: (bucket: string) => `session_len:${bucket}`,
  eventName: (name: string) => `event:${name}`,
  missing: (field: string) => `missing:${field}`,
  alias: (alias: string) => `alias:${alias}`,
  fieldSet: (set: string) => `fieldset:${set}`,
  schemaId: (id: number) => `schema:${id}`,
  problem: (kind: string, field: string) => `problem:${kind}:${field}`,
  rejected: (reason: string) => `rejected:${reason}`,
  channel: (channel: string) => `channel:${channel}`,
  device: (device: DeviceClass) => `device:${device}`,
  /** Landings (events whose page URL carries utm_source) by source, bots excluded. */
  utmSource: (source: string) => `utm:${source}`,
} as const;

export const FUNNEL_STAGES = {
  product_added_to_cart: 'atc',
  checkout_started: 'checkout',
  checkout_completed: 'purchase',
} as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[keyof typeof FUNNEL_STAGES];

type SessionRules = Pick<TrafficRules, 'excludeBots' | 'sessionGapMinutes'>;
const DEFAULT_SESSION_RULES: SessionRules = { excludeBots: true, sessionGapMinutes: 30 };

interface Touch {
  tsMs: number;
  pageUrl: string | null;
  referrer: string | null;
}

export class DayDelta {
  readonly counters = new Map<string, number>();
  /** [transaction id, event time, revenue cents] in consumption order; duplicates are decided in Redis. */
  readonly transactions: [string, number, number][] = [];
  /** Each client's earliest event in this batch (equal timestamps: the first consumed wins). */
  readonly firstTouch = new Map<string, Touch>();
  readonly funnel: Record<FunnelStage, Set<string>> = {
    atc: new Set(),
    checkout: new Set(),
    purchase: new Set(),
  };
  /** Each client's events of this batch as [event time, 1 if a page view], for sessions. */
  readonly visits = new Map<string, [number, number][]>();
  accepted = 0;
  rejected = 0;

  constructor(
    readonly day: string,
    private readonly traffic: SessionRules = DEFAULT_SESSION_RULES,
  ) {}

  add(name: string, by = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  addAccepted(e: AcceptedEvent, schemaId: number | null) {
    this.accepted++;
    this.add(COUNTER.events);
    if (e.eventName !== null) this.add(COUNTER.eventName(e.eventName));
    if (e.clientId === null) this.add(COUNTER.nullClient);
    for (const f of e.missingFields) this.add(COUNTER.missing(f));
    for (const a of e.aliasesUsed) this.add(COUNTER.alias(a));
    for (const p of e.problems) this.add(COUNTER.problem(p.kind, p.field));
    this.add(COUNTER.fieldSet(e.fieldSet));
    if (schemaId !== null) this.add(COUNTER.schemaId(schemaId));

    if (e.purchase) {
      this.add(COUNTER.purchases);
      this.add(COUNTER.revenueCents, e.purchase.revenueCents);
      if (e.purchase.transactionId !== null) {
        this.transactions.push([e.purchase.transactionId, e.tsMs, e.purchase.revenueCents]);
      } else this.add(COUNTER.revenueDedupCents, e.purchase.revenueCents);
    }

    const device = classifyDevice(e.userAgent);
    this.add(COUNTER.device(device));
    const bot = device === 'bot';
    if (!bot) {
      const utm = utmSourceOf(e.pageUrl);
      if (utm !== null) this.add(COUNTER.utmSource(utm));
    }

    if (e.clientId !== null && !(bot && this.traffic.excludeBots)) {
      const seen = this.firstTouch.get(e.clientId);
      if (!seen || e.tsMs < seen.tsMs) {
        this.firstTouch.set(e.clientId, { tsMs: e.tsMs, pageUrl: e.pageUrl, referrer: e.referrer });
      }
      const stage =
        e.eventName === null ? undefined : FUNNEL_STAGES[e.eventName as keyof typeof FUNNEL_STAGES];
      if (stage) this.funnel[stage].add(e.clientId);
      let visits = this.visits.get(e.clientId);
      if (!visits) {
        visits = [];
        this.visits.set(e.clientId, visits);
      }
      visits.push([e.tsMs, e.eventName === 'page_viewed' ? 1 : 0]);
    }
  }

  addRejected(reason: RejectReason) {
    this.rejected++;
    this.add(COUNTER.rejected(reason));
  }

  /** The delta as the apply script reads it (see lua/apply-day-batch.lua). */
  toPayload(rules: ChannelRules): string {
    const firstTouch: [string, string, string][] = [];
    for (const [client, t] of this.firstTouch) {
      // one channel classification per client per batch, not per event
      firstTouch.push([client, String(t.tsMs), classifyChannel(t.pageUrl, t.referrer, rules)]);
    }
    const gapMs = this.traffic.sessionGapMinutes * 60_000;
    return JSON.stringify({
      // integers as strings: Lua numbers are doubles and print large ones in exponent form
      c: Object.fromEntries([...this.counters].map(([k, v]) => [k, String(v)])),
      tx: this.transactions.map(([id, ts, cents]) => [id, String(ts), String(cents)]),
      ft: firstTouch,
      atc: [...this.funnel.atc],
      checkout: [...this.funnel.checkout],
      purchase: [...this.funnel.purchase],
      gap: String(gapMs),
      // flat, to spare the script a table per run: client, run count, then start, last, pages per run
      ss: [...this.visits].flatMap(([client, visits]) => {
        const runs = sessionRuns(visits, gapMs);
        return [client, runs.length, ...runs.flat()];
      }),
    });
  }
}

/**
 * A client's events of one batch as runs [start, last, page views]: sorted by
 * time, cut where two events are more than the gap apart. The apply script
 * merges them with the client's stored sessions, so the batch boundaries and
 * the order events arrive in within the bound do not matter.
 */
export function sessionRuns(visits: [number, number][], gapMs: number): [string, string, number][] {
  const sorted = [...visits].sort((a, b) => a[0] - b[0]);
  const runs: [string, string, number][] = [];
  let start = sorted[0]![0];
  let last = start;
  let pages = 0;
  for (const [ts, pageView] of sorted) {
    if (ts - last > gapMs) {
      runs.push([String(start), String(last), pages]);
      start = ts;
      pages = 0;
    }
    last = ts;
    pages += pageView;
  }
  runs.push([String(start), String(last), pages]);
  return runs;
}

/** Deltas keyed by day, created on first use. */
export class BatchDeltas {
  readonly byDay = new Map<string, DayDelta>();

  constructor(private readonly traffic?: SessionRules) {}

  for(day: string): DayDelta {
    let d = this.byDay.get(day);
    if (!d) {
      d = new DayDelta(day, this.traffic);
      this.byDay.set(day, d);
    }
    return d;
  }
}
