/**
 * Folds a batch's events into one delta per day, in memory, so that Redis is
 * written once per day per batch instead of once per event. Pure: no I/O.
 */
import { DayResolver } from '../calendar/day-resolver.ts';
import type { EventRole } from '../config/formats/index.ts';
import type { ChannelRules, TrafficRules } from '../config/monitor-config.ts';
import type { RejectReason } from '../outcome.ts';
import type { AcceptedEvent } from '../validation/event.ts';
import type { PlanVerdict } from '../validation/tracking-plan.ts';
import { classifyChannel, utmSourceOf } from './channel.ts';
import { bump, type DayCounters, emptyCounters, problemKey, typeFieldKey } from './day-counters.ts';
import { classifyDevice } from './device.ts';
import { IntradayTally, MISSING_EVENT_TYPE, OTHER_EVENT_TYPE, slotOfMinute } from './intraday.ts';
import { type Coordinate, ViolationTallies } from './violations.ts';

/** Funnel role → the stage whose clients it counts (page views are no stage). */
const FUNNEL_STAGES = {
  pageView: undefined,
  addToCart: 'atc',
  checkoutStarted: 'checkout',
  purchase: 'purchase',
} as const satisfies Record<EventRole, FunnelStage | undefined>;
export type FunnelStage = 'atc' | 'checkout' | 'purchase';

/** The currency of purchases that carry none, where the config names none either. */
export const UNKNOWN_CURRENCY = 'unknown';

type SessionRules = Pick<TrafficRules, 'excludeBots' | 'sessionGapMinutes'>;
const DEFAULT_SESSION_RULES: SessionRules = { excludeBots: true, sessionGapMinutes: 30 };

/** What a batch's fold needs besides the events: session rules, channel rules, the day's clock. */
export interface FoldRules {
  traffic?: SessionRules;
  /** Attribute each client's first touch of the batch to a channel. */
  channels: ChannelRules;
  /** Minutes since local midnight of an event time (the monitor's zone; UTC by default). */
  minuteOfDay?: (tsMs: number) => number;
}

/** A client's events of one batch: its earliest (the first touch) and, for sessions, every event's time. */
export interface ClientVisits {
  /** The earliest event's time and the channel its page and referrer name (equal times: the first consumed wins). */
  firstMs: number;
  channel: string;
  /** Event time and 1 if a page view, flat, in arrival order. */
  visits: number[];
}

const UTC = new DayResolver('UTC');
const utcMinuteOfDay = (tsMs: number) => UTC.minuteOfDay(tsMs);

/** The event type an intraday series is kept under: a known name, or one of two placeholders. */
const eventTypeOf = (e: AcceptedEvent) =>
  e.eventName === null
    ? MISSING_EVENT_TYPE
    : e.problems.some((p) => p.kind === 'event_name_unknown')
      ? OTHER_EVENT_TYPE
      : e.eventName;

export class DayDelta {
  readonly counters: DayCounters = emptyCounters();
  /** [transaction id, event time, revenue cents] in consumption order; duplicates are decided in Redis. */
  readonly transactions: [string, number, number][] = [];
  /** The batch's clients (bots excluded when the rules say so): first touch and visits. */
  readonly clients = new Map<string, ClientVisits>();
  readonly funnel: Record<FunnelStage, Set<string>> = {
    atc: new Set(),
    checkout: new Set(),
    purchase: new Set(),
  };
  /** Tracking-plan violations of marked and rejected events. */
  readonly violations = new ViolationTallies();
  /** Event ids of the events counted here, each once: the apply refuses the slice if the day already holds one. */
  readonly eventIds: string[] = [];
  accepted = 0;
  rejected = 0;

  /** Intraday slots of this batch's events (see intraday.ts). */
  readonly intraday = new IntradayTally();

  readonly traffic: SessionRules;
  private readonly channels: ChannelRules;
  private readonly minuteOfDay: (tsMs: number) => number;

  constructor(
    readonly day: string,
    rules: FoldRules,
  ) {
    this.traffic = rules.traffic ?? DEFAULT_SESSION_RULES;
    this.channels = rules.channels;
    this.minuteOfDay = rules.minuteOfDay ?? utcMinuteOfDay;
  }

  /** `at`: the event's Kafka coordinates, kept as a sample when it broke the tracking plan. */
  addAccepted(e: AcceptedEvent, schemaId: number | null, at?: Coordinate) {
    const c = this.counters;
    if (e.contract && at) this.violations.add(e.contract.eventName, e.contract.violations, e.tsMs, at);
    this.accepted++;
    c.events++;
    if (e.eventId !== null) this.eventIds.push(e.eventId);
    if (e.eventName !== null) bump(c.eventNames, e.eventName);
    if (e.role !== null) bump(c.roleEvents, e.role);
    if (e.appVersion !== null) bump(c.appVersions, e.appVersion);
    if (e.trackerVersion !== null) bump(c.trackerVersions, e.trackerVersion);
    const eventType = eventTypeOf(e);
    const device = classifyDevice(e.userAgent);
    if (e.clientId === null) {
      c.nullClient++;
      bump(c.nullClientTypes, eventType);
      bump(c.nullClientDevices, device);
    }
    this.intraday.add(slotOfMinute(this.minuteOfDay(e.tsMs)), eventType, e.clientId === null, e.tsMs);
    for (const f of e.missingFields) {
      bump(c.missingFields, f);
      bump(c.missingFieldTypes, typeFieldKey(eventType, f));
    }
    for (const a of e.aliasesUsed) bump(c.aliases, a);
    for (const p of e.problems) bump(c.problems, problemKey(p.kind, p.field));
    bump(c.fieldSets, e.fieldSet);
    if (schemaId !== null) bump(c.schemaIds, String(schemaId));

    if (e.purchase) {
      c.purchases++;
      c.revenueCents += e.purchase.revenueCents;
      const currency = e.purchase.currency ?? UNKNOWN_CURRENCY;
      bump(c.currencyRevenueCents, currency, e.purchase.revenueCents);
      bump(c.currencyPurchases, currency);
      if (e.purchase.transactionId !== null) {
        this.transactions.push([e.purchase.transactionId, e.tsMs, e.purchase.revenueCents]);
      } else c.revenueDedupCents += e.purchase.revenueCents;
    }

    bump(c.devices, device);
    const bot = device === 'bot';
    if (!bot) {
      const utm = utmSourceOf(e.pageUrl);
      if (utm !== null) bump(c.utmSources, utm);
    }

    if (e.clientId !== null && !(bot && this.traffic.excludeBots)) {
      const stage = e.role === null ? undefined : FUNNEL_STAGES[e.role];
      if (stage) this.funnel[stage].add(e.clientId);
      const pageView = e.role === 'pageView' ? 1 : 0;
      const seen = this.clients.get(e.clientId);
      if (!seen) {
        this.clients.set(e.clientId, {
          firstMs: e.tsMs,
          channel: classifyChannel(e.pageUrl, e.referrer, this.channels),
          visits: [e.tsMs, pageView],
        });
      } else {
        if (e.tsMs < seen.firstMs) {
          seen.firstMs = e.tsMs;
          seen.channel = classifyChannel(e.pageUrl, e.referrer, this.channels);
        }
        seen.visits.push(e.tsMs, pageView);
      }
    }
  }

  /**
   * An event whose id the day already counted (a producer's retry): accepted,
   * counted as a duplicate and nowhere else.
   */
  addDuplicate() {
    this.accepted++;
    this.counters.duplicateEvents++;
  }

  addRejected(reason: RejectReason) {
    this.rejected++;
    bump(this.counters.rejected, reason);
  }

  /**
   * A rejection counted before, taken back: its dead letter was replayed and
   * settles again (accepted, or rejected anew with its new reason).
   */
  retractRejected(reason: RejectReason, planRejectedEvent?: string) {
    this.rejected--;
    bump(this.counters.rejected, reason, -1);
    if (planRejectedEvent !== undefined) bump(this.counters.planRejected, planRejectedEvent, -1);
  }

  /** An event the tracking plan rejects: not in the business figures, but its violations count. */
  addPlanRejected(contract: PlanVerdict, tsMs: number, at: Coordinate) {
    this.addRejected('contract_violation');
    bump(this.counters.planRejected, contract.eventName);
    this.violations.add(contract.eventName, contract.violations, tsMs, at);
  }
}

/**
 * A client's events of one batch as runs [start, last, page views], appended
 * to `out` as run count, then start, last, pages per run: sorted by time, cut
 * where two events are more than the gap apart. The apply script merges them
 * with the client's stored sessions, so the batch boundaries and the order
 * events arrive in within the bound do not matter.
 * `visits`: event time and page view (1 or 0), flat, as they arrived.
 */
export function appendSessionRuns(out: number[], visits: number[], gapMs: number) {
  let ordered = true;
  for (let i = 2; i < visits.length; i += 2) if (visits[i]! < visits[i - 2]!) ordered = false;
  const v = ordered ? visits : sortedPairs(visits);
  const countAt = out.length;
  out.push(0);
  let runs = 0;
  let start = v[0]!;
  let last = start;
  let pages = 0;
  for (let i = 0; i < v.length; i += 2) {
    const ts = v[i]!;
    if (ts - last > gapMs) {
      out.push(start, last, pages);
      runs++;
      start = ts;
      pages = 0;
    }
    last = ts;
    pages += v[i + 1]!;
  }
  out.push(start, last, pages);
  out[countAt] = runs + 1;
}

/** Flat (time, page view) pairs sorted by time; equal times keep their order. */
function sortedPairs(visits: number[]): number[] {
  const idx = Array.from({ length: visits.length / 2 }, (_, k) => k);
  idx.sort((a, b) => visits[2 * a]! - visits[2 * b]! || a - b);
  return idx.flatMap((k) => [visits[2 * k]!, visits[2 * k + 1]!]);
}

/** Deltas keyed by day, created on first use. */
export class BatchDeltas {
  readonly byDay = new Map<string, DayDelta>();

  constructor(private readonly rules: FoldRules) {}

  for(day: string): DayDelta {
    let d = this.byDay.get(day);
    if (!d) {
      d = new DayDelta(day, this.rules);
      this.byDay.set(day, d);
    }
    return d;
  }
}
