/**
 * What the pipeline needs from the rest of the system, as small interfaces:
 * a decoder, a validator, the day store, a dead-letter sink and an observer.
 * The consumer wires the Kafka, Redis and Prometheus implementations; the
 * pipeline knows none of them.
 */
import type { DayDelta } from '../aggregation/day-delta.ts';
import type { FailingSystem } from '../errors.ts';
import type { RejectReason } from '../outcome.ts';
import type { MessageDecoder } from '../source/decode.ts';
import type { DayState } from '../state/day-state.ts';
import type { EventValidator } from '../validation/event.ts';

export type Decoder = Pick<MessageDecoder, 'decode' | 'decodeNow'>;
export type Validator = Pick<EventValidator, 'validate'>;
/** The exactly-once protocol: watermarks read, slices applied under them and replicated, shapes remembered. */
export type DayStatePort = Pick<DayState, 'watermarks' | 'applyMany' | 'awaitReplicas' | 'rememberShapes'>;

export type ShapeKind = 'field_set' | 'schema_id';

/** What the pipeline reports as it goes: metrics implement it (metrics/ingest-metrics.ts). */
export interface IngestObserver {
  /** A day's slice Redis applied: the same counters that went to Redis. */
  applied(delta: DayDelta, duplicates: number): void;
  /** A slice Redis had applied before (a redelivery). */
  sliceSkipped(): void;
  deadLettered(reason: RejectReason): void;
  poisonIsolated(): void;
  /** A message dead-lettered as `apply_error`: the state, or our own code, failed on it (by the failing system). */
  applyFailed(system: FailingSystem): void;
  /** A field set or schema id never seen before in the namespace. */
  newShape(kind: ShapeKind): void;
  /** Shapes the namespace could not remember (over its cap): drift among them goes unnoticed. */
  shapesUntracked(count: number): void;
  /** Day slices written while their shard had fewer Redis replicas than required (replica policy `available`). */
  writtenWithoutReplicas(slices: number): void;
  /** The reject guard started (true) or stopped (false) holding batches. */
  guardHolding(holding: boolean): void;
}

export const NO_OBSERVER: IngestObserver = {
  applied() {},
  sliceSkipped() {},
  deadLettered() {},
  poisonIsolated() {},
  applyFailed() {},
  newShape() {},
  shapesUntracked() {},
  writtenWithoutReplicas() {},
  guardHolding() {},
};
