/**
 * One consumed batch of one partition → decoded, validated, folded per day and
 * applied to Redis exactly once. Every message ends as accepted or rejected;
 * rejected ones go to the dead-letter sink before the state is applied.
 */

import { LRUCache } from 'lru-cache';
import { BatchDeltas, type FoldRules } from '../aggregation/day-delta.ts';
import type { DayResolver } from '../calendar/day-resolver.ts';
import type { ChannelRules, TrafficRules } from '../config/monitor-config.ts';
import { DependencyUnavailableError, failureKind, isRetriable, systemOf } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RejectReason } from '../outcome.ts';
import type { DeadLetterSink, IncomingMessage } from '../source/messages.ts';
import { encodeDelta } from '../state/counter-codec.ts';
import type { AcceptedEvent } from '../validation/event.ts';
import type { PlanVerdict } from '../validation/tracking-plan.ts';
import {
  type DayStatePort,
  type Decoder,
  type IngestObserver,
  NO_OBSERVER,
  type Validator,
} from './ports.ts';
import { type RejectGuard, RejectGuardHoldError } from './reject-guard.ts';

type Settled =
  | { offset: number; day: string; ok: true; event: AcceptedEvent; schemaId: number | null }
  | {
      offset: number;
      day: string;
      ok: false;
      reason: RejectReason;
      detail: string;
      message: IncomingMessage;
      /** A tracking-plan rejection: the event's verdict and time (its day is the event's). */
      contract?: { verdict: PlanVerdict; tsMs: number };
    };

export interface BatchOutcome {
  accepted: number;
  rejected: number;
  /** Messages Redis had already applied (redelivered). */
  skipped: number;
}

export interface BatchProcessorDeps {
  namespace: string;
  decoder: Decoder;
  validator: Validator;
  days: DayResolver;
  state: DayStatePort;
  channels: ChannelRules;
  /** Bot handling; bots are excluded from clients and the funnel when absent. */
  traffic?: Pick<TrafficRules, 'excludeBots' | 'sessionGapMinutes'>;
  deadLetters: DeadLetterSink;
  observer?: IngestObserver;
  /** Holds batches instead of dead-lettering the stream when most messages are rejected. */
  guard?: RejectGuard;
  log?: Logger;
  now?: () => number;
}

const MAX_APPLY_ATTEMPTS = 5;
/** Shapes remembered in memory; more are checked against Redis again (a cheap, idempotent command). */
const KNOWN_SHAPES_IN_MEMORY = 2_000;

const rejectedAt = (
  message: IncomingMessage,
  day: string,
  reason: RejectReason,
  detail: string,
): Extract<Settled, { ok: false }> => ({
  offset: Number(message.offset),
  day,
  ok: false,
  reason,
  detail,
  message,
});

/** A dead letter put back: the rejection its day counted, taken back as the message settles anew. */
export interface Retraction {
  day: string;
  reason: RejectReason;
  /** For contract_violation: the event name the day counted among those the plan rejected. */
  planRejectedEvent?: string;
}

export class BatchProcessor {
  /**
   * Field sets and schema ids this process reported lately (saves the Redis
   * check), bounded: senders choose how many there are.
   */
  private readonly knownShapes = new LRUCache<string, true>({ max: KNOWN_SHAPES_IN_MEMORY });
  /** Last offset this process knows applied, per partition key then day: saves the watermark read in steady state. */
  private readonly watermarkCache = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private readonly observer: IngestObserver;

  /** What folding a batch into day deltas needs: sessions, channel attribution, the day's clock. */
  private readonly foldRules: FoldRules;

  constructor(private readonly deps: BatchProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.foldRules = {
      traffic: deps.traffic,
      channels: deps.channels,
      minuteOfDay: (tsMs) => deps.days.minuteOfDay(tsMs),
    };
    this.observer = deps.observer ?? NO_OBSERVER;
  }

  /** Forget cached watermarks (on rebalance): the next batch reads them from Redis. */
  forgetWatermarks() {
    this.watermarkCache.clear();
  }

  /**
   * process(), isolating poison. A batch that fails twice the same way with an
   * error retrying cannot fix (the state refusing it, or an exception of our
   * own) is split in halves, in offset order, until the message that fails is
   * found; that message is dead-lettered as `apply_error` with the failure's
   * type, and the rest is applied. Every part goes through the same watermark
   * protocol, so a crash during the isolation changes no count. Retriable
   * failures (Redis, registry, Kafka unavailable) are thrown for the caller to
   * retry the whole batch.
   */
  async processIsolatingPoison(
    topic: string,
    partition: number,
    messages: IncomingMessage[],
  ): Promise<BatchOutcome> {
    let first: unknown;
    try {
      return await this.process(topic, partition, messages);
    } catch (err) {
      if (isRetriable(err)) throw err;
      first = err;
    }
    try {
      return await this.process(topic, partition, messages);
    } catch (second) {
      if (isRetriable(second) || failureKind(second) !== failureKind(first)) throw second;
      this.observer.poisonIsolated();
      this.deps.log?.warn(
        { partition, messages: messages.length, failure: failureKind(second) },
        'batch failed twice the same way; isolating the message at fault',
      );
      return this.isolate(topic, partition, messages, second);
    }
  }

  private async isolate(
    topic: string,
    partition: number,
    messages: IncomingMessage[],
    failure: unknown,
  ): Promise<BatchOutcome> {
    if (messages.length === 1) {
      const kind = failureKind(failure);
      try {
        const outcome = await this.process(topic, partition, messages, { poison: kind });
        // our fault or the state's, never the sender's: it shows in em_errors_total
        if (outcome.rejected > 0) this.observer.applyFailed(systemOf(failure));
        return outcome;
      } catch (err) {
        // The message, taken out, still fails: the fault is not in it. Retry, never dead-letter.
        if (isRetriable(err)) throw err;
        throw new DependencyUnavailableError('redis', `the state refuses even an empty apply (${kind})`, err);
      }
    }
    const half = messages.length >> 1;
    const outcome = { accepted: 0, rejected: 0, skipped: 0 };
    for (const part of [messages.slice(0, half), messages.slice(half)]) {
      let result: BatchOutcome;
      try {
        result = await this.process(topic, partition, part);
      } catch (err) {
        if (isRetriable(err)) throw err;
        result = await this.isolate(topic, partition, part, err);
      }
      outcome.accepted += result.accepted;
      outcome.rejected += result.rejected;
      outcome.skipped += result.skipped;
    }
    return outcome;
  }

  /**
   * `poison`: the batch is that one message, which the state refused; it is rejected with this failure.
   * `replayOf`: the batch is one dead letter put back (see replayDeadLetter).
   */
  async process(
    topic: string,
    partition: number,
    messages: IncomingMessage[],
    options: { poison?: string; replayOf?: Retraction } = {},
  ): Promise<BatchOutcome> {
    if (messages.length === 0) return { accepted: 0, rejected: 0, skipped: 0 };
    const { poison, replayOf } = options;
    const lastOffset = Number(messages[messages.length - 1]!.offset);
    // a replayed dead letter is applied under a watermark of its own: once, whatever else was replayed
    const partitionKey =
      replayOf === undefined ? `${topic}/${partition}` : `replay:${topic}/${partition}/${lastOffset}`;
    const settled =
      poison === undefined ? await this.settle(messages) : this.settlePoison(messages[0]!, poison);

    const days = [...new Set([...settled.map((s) => s.day), ...(replayOf ? [replayOf.day] : [])])];
    const watermarks = await this.currentWatermarks(partitionKey, days);

    if (replayOf === undefined && poison === undefined) this.guardBatch(partitionKey, settled, watermarks);

    // Dead letters first: if we crash after this, the redelivery writes them again
    // (at least once, with source offsets in the headers), and Redis still applies once.
    const dead = settled.filter(
      (s): s is Extract<Settled, { ok: false }> => !s.ok && s.offset > (watermarks.get(s.day) ?? -1),
    );
    if (dead.length) {
      await this.deps.deadLetters.send(
        dead.map((d) => ({
          message: d.message,
          topic,
          partition,
          reason: d.reason,
          detail: d.detail,
          day: d.day,
          ...(d.contract ? { contract: d.contract.verdict } : {}),
        })),
      );
      for (const d of dead) this.observer.deadLettered(d.reason);
    }

    const outcome: BatchOutcome = { accepted: 0, rejected: 0, skipped: 0 };
    let pending = days;
    // per day: event ids the state already counted (learnt from an apply that refused them)
    const countedBefore = new Map<string, Set<string>>();
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_APPLY_ATTEMPTS) {
        throw new DependencyUnavailableError(
          'redis',
          `watermarks of ${partitionKey} kept moving under this consumer; retrying the batch`,
        );
      }
      const deltas = new BatchDeltas(this.foldRules);
      const alreadyApplied = new Map<string, number>(); // per day: messages at or below its watermark
      const idsFolded = new Map<string, Set<string>>(); // per day: event ids this attempt counted
      if (replayOf && pending.includes(replayOf.day) && lastOffset > (watermarks.get(replayOf.day) ?? -1)) {
        deltas.for(replayOf.day).retractRejected(replayOf.reason, replayOf.planRejectedEvent);
      }
      for (const s of settled) {
        if (!pending.includes(s.day)) continue;
        if (s.offset <= (watermarks.get(s.day) ?? -1)) {
          alreadyApplied.set(s.day, (alreadyApplied.get(s.day) ?? 0) + 1);
          continue;
        }
        const delta = deltas.for(s.day);
        // coordinates only for events that broke the plan: they are its samples
        if (s.ok) {
          // an event id is read only where the format has one and ids are remembered (resolveSource)
          const id = s.event.eventId;
          if (id !== null) {
            let folded = idsFolded.get(s.day);
            if (folded === undefined) {
              folded = new Set<string>();
              idsFolded.set(s.day, folded);
            }
            if (folded.has(id) || countedBefore.get(s.day)?.has(id)) {
              delta.addDuplicate();
              continue;
            }
            folded.add(id);
          }
          const at = s.event.contract ? { topic, partition, offset: String(s.offset) } : undefined;
          delta.addAccepted(s.event, s.schemaId, at);
        } else if (s.contract) {
          delta.addPlanRejected(s.contract.verdict, s.contract.tsMs, {
            topic,
            partition,
            offset: String(s.offset),
          });
        } else delta.addRejected(s.reason);
      }
      for (const day of pending) if (!deltas.byDay.has(day)) outcome.skipped += alreadyApplied.get(day) ?? 0;
      const slices = [...deltas.byDay.values()];
      if (slices.length === 0) break;

      const results = await this.deps.state.applyMany(
        slices.map((delta) => ({
          delta,
          partitionKey,
          lastOffset,
          expectedWatermark: watermarks.get(delta.day) ?? -1,
        })),
      );

      const retry: string[] = [];
      results.forEach((r, i) => {
        const delta = slices[i]!;
        watermarks.set(delta.day, r.watermark);
        if (r.status === 'applied') {
          outcome.accepted += delta.accepted;
          outcome.rejected += delta.rejected;
          outcome.skipped += alreadyApplied.get(delta.day) ?? 0;
          this.observer.applied(delta, r.duplicates);
        } else if (r.status === 'already_applied') {
          outcome.skipped += delta.accepted + delta.rejected + (alreadyApplied.get(delta.day) ?? 0);
          this.observer.sliceSkipped();
        } else {
          if (r.status === 'events_seen') {
            const known = countedBefore.get(delta.day) ?? new Set<string>();
            for (const id of r.eventIds) known.add(id);
            countedBefore.set(delta.day, known);
          }
          retry.push(delta.day);
        }
      });
      pending = retry;
    }
    // Done only once replicas hold the writes (when required): a failover must not lose what is committed.
    // Until then the cache keeps the old watermarks, so a retry after a lossy failover applies again.
    const withoutReplicas = await this.deps.state.awaitReplicas(days);
    if (withoutReplicas.length > 0) this.observer.writtenWithoutReplicas(withoutReplicas.length);
    const known = this.watermarksOf(partitionKey);
    for (const day of days) known.set(day, watermarks.get(day) ?? -1);
    await this.noticeNewShapes(settled);
    return outcome;
  }

  /** Whether the reject guard holds batches right now: the consumer is then not ready. */
  get holding(): boolean {
    return this.deps.guard?.holding ?? false;
  }

  /** The guard judges what this batch would newly reject; a hold throws, before anything is written. */
  private guardBatch(partitionKey: string, settled: Settled[], watermarks: Map<string, number>) {
    const guard = this.deps.guard;
    if (!guard) return;
    let fresh = 0;
    const rejected = new Map<RejectReason, number>();
    for (const s of settled) {
      if (s.offset <= (watermarks.get(s.day) ?? -1)) continue; // applied before: judged before
      fresh++;
      if (!s.ok) rejected.set(s.reason, (rejected.get(s.reason) ?? 0) + 1);
    }
    const wasHolding = guard.holding;
    const verdict = guard.judge(partitionKey, fresh, rejected);
    if (verdict.hold) {
      if (!wasHolding) this.observer.guardHolding(true);
      throw new RejectGuardHoldError(verdict);
    }
    if (wasHolding && !guard.holding) {
      this.observer.guardHolding(false);
      this.deps.log?.warn('reject guard released: batches are applied again');
    }
  }

  /**
   * How one message would settle, with nothing written: a dry run of the same
   * decoding, validation, folding and encoding the apply does, short of Redis.
   */
  async judge(message: IncomingMessage): Promise<{ ok: true } | { ok: false; reason: RejectReason }> {
    const [s] = await this.settle([message]);
    if (!s!.ok) return { ok: false, reason: s!.reason };
    try {
      const delta = new BatchDeltas(this.foldRules).for(s!.day);
      delta.addAccepted(s!.event, s!.schemaId);
      encodeDelta(delta);
      return { ok: true };
    } catch (err) {
      if (isRetriable(err)) throw err;
      return { ok: false, reason: 'apply_error' };
    }
  }

  /** A field set or schema id never seen before in the namespace is schema drift, live. */
  private async noticeNewShapes(settled: Settled[]) {
    const fresh = new Set<string>();
    let lastFieldSet = '';
    let lastSchemaId: number | null = null;
    for (const s of settled) {
      if (!s.ok) continue;
      // consecutive events mostly share a shape: compare before building the key
      if (s.event.fieldSet !== lastFieldSet) {
        lastFieldSet = s.event.fieldSet;
        const shape = `fields:${lastFieldSet}`;
        if (!this.knownShapes.has(shape)) fresh.add(shape);
      }
      if (s.schemaId !== null && s.schemaId !== lastSchemaId) {
        lastSchemaId = s.schemaId;
        const shape = `schema:${lastSchemaId}`;
        if (!this.knownShapes.has(shape)) fresh.add(shape);
      }
    }
    if (fresh.size === 0) return;
    const { fresh: added, untracked } = await this.deps.state.rememberShapes([...fresh]);
    for (const shape of fresh) this.knownShapes.set(shape, true);
    if (untracked > 0) this.observer.shapesUntracked(untracked);
    for (const shape of added) {
      const kind = shape.startsWith('schema:') ? 'schema_id' : 'field_set';
      this.observer.newShape(kind);
      // the shape itself stays out of the log: field names are sender-controlled text
      this.deps.log?.warn({ kind }, 'new event shape seen; see the day report for the field sets');
    }
  }

  /** What this process knows of a partition's watermarks, by day. */
  private watermarksOf(partitionKey: string): Map<string, number> {
    const known = this.watermarkCache.get(partitionKey) ?? new Map<string, number>();
    this.watermarkCache.set(partitionKey, known);
    return known;
  }

  private async currentWatermarks(partitionKey: string, days: string[]) {
    const known = this.watermarksOf(partitionKey);
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const day of days) {
      const cached = known.get(day);
      if (cached === undefined) missing.push(day);
      else out.set(day, cached);
    }
    if (missing.length) {
      for (const [day, w] of await this.deps.state.watermarks(missing, partitionKey)) {
        out.set(day, w);
        known.set(day, w);
      }
    }
    return out;
  }

  private settlePoison(m: IncomingMessage, failure: string): Settled[] {
    const day = this.deps.days.dayOf(Number(m.timestamp) || this.now());
    return [rejectedAt(m, day, 'apply_error', `the state refused this message twice (${failure})`)];
  }

  private async settle(messages: IncomingMessage[]): Promise<Settled[]> {
    const { decoder, validator, days } = this.deps;
    const now = this.now();
    const out: Settled[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const offset = Number(m.offset);
      // a plain payload (the common case) decodes synchronously; only wire format may ask the registry.
      const decoded = decoder.decodeNow(m.value) ?? (await decoder.decode(m.value));
      // a message that is not an event belongs to the day of its record timestamp
      if (!decoded.ok) {
        out[i] = rejectedAt(m, days.dayOf(Number(m.timestamp) || now), decoded.reason, decoded.detail);
        continue;
      }
      const v = validator.validate(decoded.value, now);
      if (v.ok) {
        out[i] = {
          offset,
          day: days.dayOf(v.event.tsMs),
          ok: true,
          event: v.event,
          schemaId: decoded.schemaId,
        };
      } else if (v.reason === 'contract_violation') {
        // an event the plan rejects belongs to its event's day, where its violations count
        out[i] = {
          ...rejectedAt(m, days.dayOf(v.tsMs), v.reason, v.detail),
          contract: { verdict: v.contract, tsMs: v.tsMs },
        };
      } else out[i] = rejectedAt(m, days.dayOf(Number(m.timestamp) || now), v.reason, v.detail);
    }
    return out;
  }
}
