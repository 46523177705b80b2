/**
 * Folds a batch's events into one delta per day, in memory, so that Redis is
 * written once per day per batch instead of once per event. Pure: no I/O.
 */
import type { ChannelRules, TrafficRules } from '../config/monitor-config.ts';
import type { RejectReason } from '../source/decode.ts';
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
  accepted = 0;
  rejected = 0;

  constructor(
    readonly day: string,
    private readonly traffic: Pick<TrafficRules, 'excludeBots'> = { excludeBots: true },
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
    return JSON.stringify({
      // integers as strings: Lua numbers are doubles and print large ones in exponent form
      c: Object.fromEntries([...this.counters].map(([k, v]) => [k, String(v)])),
      tx: this.transactions.map(([id, ts, cents]) => [id, String(ts), String(cents)]),
      ft: firstTouch,
      atc: [...this.funnel.atc],
      checkout: [...this.funnel.checkout],
      purchase: [...this.funnel.purchase],
    });
  }
}

/** Deltas keyed by day, created on first use. */
export class BatchDeltas {
  readonly byDay = new Map<string, DayDelta>();

  constructor(private readonly traffic?: Pick<TrafficRules, 'excludeBots'>) {}

  for(day: string): DayDelta {
    let d = this.byDay.get(day);
    if (!d) {
      d = new DayDelta(day, this.traffic);
      this.byDay.set(day, d);
    }
    return d;
  }
}
