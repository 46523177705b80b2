/**
 * The consumer's Prometheus metrics. Counters count what this process applied
 * (a redelivered slice that Redis skips is not counted again), so sum() over
 * replicas is exact. Label values come from closed sets: configured event
 * names, reasons, problem kinds, configured field names, planned event names
 * and the plan's JSON Schema keywords. Never a client id,
 * email, transaction id or URL.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { problemOf } from '../aggregation/day-counters.ts';
import type { DayDelta } from '../aggregation/day-delta.ts';
import { DEVICE_CLASSES } from '../aggregation/device.ts';
import { tripleOf } from '../aggregation/violations.ts';
import { BLOCKED_REASONS, type BlockedReason, FAILING_SYSTEMS, type FailingSystem } from '../errors.ts';
import type { RejectReason } from '../outcome.ts';
import { UNPLANNED_LABEL } from '../validation/tracking-plan.ts';

export class IngestMetrics {
  readonly consumed: Counter<'namespace'>;
  readonly accepted: Counter<'namespace' | 'event_name'>;
  readonly rejected: Counter<'namespace' | 'reason'>;
  readonly fieldProblems: Counter<'namespace' | 'kind' | 'field'>;
  readonly contractViolations: Counter<'namespace' | 'event_name' | 'rule'>;
  readonly purchases: Counter<'namespace'>;
  readonly revenue: Counter<'namespace' | 'currency'>;
  readonly duplicateTransactions: Counter<'namespace'>;
  readonly duplicateEvents: Counter<'namespace'>;
  readonly fieldSets: Counter<'namespace' | 'schema'>;
  readonly eventsByDevice: Counter<'namespace' | 'device'>;
  readonly slicesSkipped: Counter<'namespace'>;
  readonly poisonIsolations: Counter<'namespace'>;
  readonly schemaChanges: Counter<'namespace' | 'kind'>;
  readonly deadLettered: Counter<'namespace' | 'reason'>;
  readonly batchSize: Histogram<'namespace'>;
  readonly applyDuration: Histogram<'namespace'>;
  readonly lag: Gauge<'namespace' | 'topic' | 'partition'>;
  readonly errors: Counter<'namespace' | 'system'>;
  readonly shapesUntracked: Counter<'namespace'>;
  readonly writesWithoutReplicas: Counter<'namespace'>;
  readonly batchesBlocked: Gauge<'namespace' | 'reason'>;
  readonly assignedPartitions: Gauge<'namespace'>;
  readonly lastBatchTime: Gauge<'namespace'>;
  readonly guardHolding: Gauge<'namespace'>;

  /**
   * Start every series of a closed label set at 0, so dashboards and rules see
   * "none yet" instead of "no data" (rate() of a missing series is empty).
   */
  initialize(namespace: string, eventNames: readonly string[], rejectReasons: readonly string[]) {
    const ns = { namespace };
    for (const c of [
      this.consumed,
      this.purchases,
      this.duplicateTransactions,
      this.duplicateEvents,
      this.slicesSkipped,
      this.poisonIsolations,
      this.shapesUntracked,
      this.writesWithoutReplicas,
    ])
      c.inc(ns, 0);
    this.guardHolding.set(ns, 0);
    for (const event_name of [...eventNames, 'other', 'missing'])
      this.accepted.inc({ namespace, event_name }, 0);
    for (const reason of rejectReasons) {
      this.rejected.inc({ namespace, reason }, 0);
      this.deadLettered.inc({ namespace, reason }, 0);
    }
    for (const kind of ['field_set', 'schema_id']) this.schemaChanges.inc({ namespace, kind }, 0);
    for (const device of DEVICE_CLASSES) this.eventsByDevice.inc({ namespace, device }, 0);
    for (const system of FAILING_SYSTEMS) this.errors.inc({ namespace, system }, 0);
    for (const reason of BLOCKED_REASONS) this.batchesBlocked.set({ namespace, reason }, 0);
  }

  constructor(registry: Registry) {
    const registers = [registry];
    this.consumed = new Counter({
      name: 'em_messages_consumed_total',
      help: 'Messages consumed and settled: accepted + rejected',
      labelNames: ['namespace'],
      registers,
    });
    this.accepted = new Counter({
      name: 'em_events_accepted_total',
      help: 'Accepted events by event_name (names outside the configured list count as "other", missing as "missing")',
      labelNames: ['namespace', 'event_name'],
      registers,
    });
    this.rejected = new Counter({
      name: 'em_messages_rejected_total',
      help: 'Rejected messages by reason; each one went to the dead-letter topic',
      labelNames: ['namespace', 'reason'],
      registers,
    });
    this.fieldProblems = new Counter({
      name: 'em_field_problems_total',
      help: 'Field problems on accepted events, by kind and field',
      labelNames: ['namespace', 'kind', 'field'],
      registers,
    });
    this.contractViolations = new Counter({
      name: 'em_contract_violations_total',
      help: 'Events breaking the tracking plan, once per (path, rule) each breaks, by planned event name ("unplanned" for the rest) and JSON Schema keyword (or unplanned_event)',
      labelNames: ['namespace', 'event_name', 'rule'],
      registers,
    });
    this.purchases = new Counter({
      name: 'em_purchases_total',
      help: 'Purchase events carrying their payload (order id, revenue), duplicate transactions included',
      labelNames: ['namespace'],
      registers,
    });
    this.revenue = new Counter({
      name: 'em_revenue_total',
      help: 'Revenue of purchases as tracked (duplicates included), in units of the currency labelled (ISO 4217; "unknown" where neither event nor config named one): never summed across currencies',
      labelNames: ['namespace', 'currency'],
      registers,
    });
    this.duplicateTransactions = new Counter({
      name: 'em_duplicate_transactions_total',
      help: 'Purchases whose transaction id was already seen that day',
      labelNames: ['namespace'],
      registers,
    });
    this.duplicateEvents = new Counter({
      name: 'em_events_duplicate_total',
      help: 'Events delivered again with an event id their day already counted (a producer retrying): counted once, here only',
      labelNames: ['namespace'],
      registers,
    });
    this.eventsByDevice = new Counter({
      name: 'em_events_by_device_total',
      help: 'Accepted events by device class of their user agent (desktop, mobile, tablet, bot, other, unknown)',
      labelNames: ['namespace', 'device'],
      registers,
    });
    this.fieldSets = new Counter({
      name: 'em_field_set_events_total',
      help: 'Accepted events by schema: "json" or the registry schema id, so a new schema shows as a new series',
      labelNames: ['namespace', 'schema'],
      registers,
    });
    this.schemaChanges = new Counter({
      name: 'em_schema_changes_total',
      help: 'Field sets or registry schema ids seen for the first time in this namespace',
      labelNames: ['namespace', 'kind'],
      registers,
    });
    this.shapesUntracked = new Counter({
      name: 'em_shapes_untracked_total',
      help: 'Field sets or schema ids not remembered because the namespace holds its cap of shapes (ingest.maxShapes)',
      labelNames: ['namespace'],
      registers,
    });
    this.writesWithoutReplicas = new Counter({
      name: 'em_redis_writes_without_replicas_total',
      help: 'Day slices written while their Redis shard had fewer replicas than REDIS_MIN_REPLICAS (policy available)',
      labelNames: ['namespace'],
      registers,
    });
    this.batchesBlocked = new Gauge({
      name: 'em_batches_blocked',
      help: 'Partitions whose current batch cannot be applied and is being retried, by what holds it',
      labelNames: ['namespace', 'reason'],
      registers,
    });
    this.slicesSkipped = new Counter({
      name: 'em_redelivered_slices_skipped_total',
      help: 'Day slices of batches that Redis had already applied (redelivery after crash or rebalance)',
      labelNames: ['namespace'],
      registers,
    });
    this.poisonIsolations = new Counter({
      name: 'em_poison_isolations_total',
      help: 'Batches that failed twice the same way and were split to find the message at fault',
      labelNames: ['namespace'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'em_dead_letter_records_total',
      help: 'Records written to the dead-letter topic',
      labelNames: ['namespace', 'reason'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'em_batch_size',
      help: 'Messages per consumed batch',
      labelNames: ['namespace'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    });
    this.applyDuration = new Histogram({
      name: 'em_batch_apply_duration_seconds',
      help: 'Time to decode, validate, aggregate and apply one batch',
      labelNames: ['namespace'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.lag = new Gauge({
      name: 'em_consumer_lag_messages',
      help: 'Messages between the high watermark and the last applied offset, per partition this instance owns',
      labelNames: ['namespace', 'topic', 'partition'],
      registers,
    });
    this.errors = new Counter({
      name: 'em_errors_total',
      help: 'Failed batch attempts by what failed: redis, kafka, registry (retried), message (a poison message, isolated), other',
      labelNames: ['namespace', 'system'],
      registers,
    });
    this.assignedPartitions = new Gauge({
      name: 'em_assigned_partitions',
      help: 'Partitions currently assigned to this instance',
      labelNames: ['namespace'],
      registers,
    });
    this.guardHolding = new Gauge({
      name: 'em_reject_guard_holding',
      help: '1 while this instance holds a batch instead of dead-lettering it (most recent messages rejected, see ingest.rejectGuard)',
      labelNames: ['namespace'],
      registers,
    });
    this.lastBatchTime = new Gauge({
      name: 'em_last_batch_timestamp_seconds',
      help: 'When this instance last applied a batch',
      labelNames: ['namespace'],
      registers,
    });
  }
}

/**
 * The pipeline's observer (ingest/ports.ts) as metrics: what Redis applied is
 * counted from the same counters that went to Redis. Event names outside the
 * configured set are labelled `other`, events without one `missing`.
 */
export function ingestObserver(
  m: IngestMetrics,
  namespace: string,
  knownEventNames: ReadonlySet<string>,
  /** The tracking plan's event names; the rest are labelled `unplanned`. */
  plannedEventNames: ReadonlySet<string> = new Set(),
) {
  return {
    applied(delta: DayDelta, duplicates: number) {
      const c = delta.counters;
      m.consumed.inc({ namespace }, delta.accepted + delta.rejected);
      let named = 0;
      for (const [name, n] of c.eventNames) {
        named += n;
        m.accepted.inc({ namespace, event_name: knownEventNames.has(name) ? name : 'other' }, n);
      }
      if (c.events > named) m.accepted.inc({ namespace, event_name: 'missing' }, c.events - named);
      for (const [reason, n] of c.rejected) m.rejected.inc({ namespace, reason }, n);
      for (const [key, n] of c.problems) {
        const { kind, field } = problemOf(key);
        m.fieldProblems.inc({ namespace, kind, field }, n);
      }
      for (const [triple, t] of delta.violations.byTriple) {
        const { eventName, rule } = tripleOf(triple);
        const event_name = plannedEventNames.has(eventName) ? eventName : UNPLANNED_LABEL;
        m.contractViolations.inc({ namespace, event_name, rule }, t.count);
      }
      for (const [schema, n] of c.schemaIds) m.fieldSets.inc({ namespace, schema }, n);
      for (const [device, n] of c.devices) m.eventsByDevice.inc({ namespace, device }, n);
      if (c.purchases > 0) m.purchases.inc({ namespace }, c.purchases);
      for (const [currency, cents] of c.currencyRevenueCents)
        if (cents !== 0) m.revenue.inc({ namespace, currency }, cents / 100);
      if (duplicates > 0) m.duplicateTransactions.inc({ namespace }, duplicates);
      if (c.duplicateEvents > 0) m.duplicateEvents.inc({ namespace }, c.duplicateEvents);
      m.lastBatchTime.set({ namespace }, Date.now() / 1000);
    },
    sliceSkipped: () => m.slicesSkipped.inc({ namespace }),
    deadLettered: (reason: RejectReason) => m.deadLettered.inc({ namespace, reason }),
    poisonIsolated: () => m.poisonIsolations.inc({ namespace }),
    applyFailed: (system: FailingSystem) => m.errors.inc({ namespace, system }),
    newShape: (kind: 'field_set' | 'schema_id') => m.schemaChanges.inc({ namespace, kind }),
    shapesUntracked: (count: number) => m.shapesUntracked.inc({ namespace }, count),
    writtenWithoutReplicas: (slices: number) => m.writesWithoutReplicas.inc({ namespace }, slices),
    guardHolding: (holding: boolean) => m.guardHolding.set({ namespace }, holding ? 1 : 0),
  };
}

/** The consumer loop's observer (source/consumer-observer.ts) as metrics. */
export function consumerObserver(m: IngestMetrics, namespace: string) {
  return {
    joined(partitions: number) {
      m.lag.reset();
      m.assignedPartitions.set({ namespace }, partitions);
    },
    failed: (system: FailingSystem) => m.errors.inc({ namespace, system }),
    blocked(byReason: ReadonlyMap<BlockedReason, number>) {
      for (const [reason, n] of byReason) m.batchesBlocked.set({ namespace, reason }, n);
    },
    batchApplied(b: { topic: string; partition: number; lag: number; messages: number; seconds: number }) {
      m.lag.set({ namespace, topic: b.topic, partition: String(b.partition) }, b.lag);
      m.batchSize.observe({ namespace }, b.messages);
      m.applyDuration.observe({ namespace }, b.seconds);
    },
  };
}
