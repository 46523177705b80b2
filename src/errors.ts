/**
 * Typed errors, as in KafkaJS: each says whether retrying can help and which
 * system failed, so callers decide by type (retry, isolate, count under which
 * `system`), never by message text. Messages carry no payload values.
 */

/**
 * Label values of em_errors_total{system}: "message" means the input itself, not a dependency;
 * "guard" a batch held because most messages were being rejected (ingest/reject-guard.ts).
 */
export const FAILING_SYSTEMS = [
  'redis',
  'registry',
  'kafka',
  'message',
  'guard',
  /** a dead letter we could not write as it was (ours to fix, never a Kafka outage) */
  'dead_letter',
  'other',
] as const;
export type FailingSystem = (typeof FAILING_SYSTEMS)[number];

export class MonitorError extends Error {
  readonly retriable: boolean;
  readonly system: FailingSystem;

  constructor(message: string, options: { retriable: boolean; system: FailingSystem; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable;
    this.system = options.system;
  }
}

/** A dependency did not answer as it should (down, restarting, failing over): retry the batch. */
export class DependencyUnavailableError extends MonitorError {
  constructor(system: 'redis' | 'registry' | 'kafka', message: string, cause?: unknown) {
    super(message, { retriable: true, system, cause });
  }
}

/**
 * The state refused a batch in a way that retrying the same input repeats (a
 * script error on a value it cannot carry). `code` is the Redis error code.
 */
export class StateRejectedError extends MonitorError {
  constructor(
    readonly code: string,
    cause?: unknown,
  ) {
    super(`the state refused the batch (${code})`, { retriable: false, system: 'message', cause });
  }
}

/**
 * What holds a batch that is being retried, for em_batches_blocked{reason}:
 * an error may name it (`blockedReason`: replicas, reject_guard); otherwise the
 * failing system does.
 */
export const BLOCKED_REASONS = [
  'replicas',
  'redis',
  'schema_registry',
  'kafka',
  'reject_guard',
  'dead_letter',
  'other',
] as const;
export type BlockedReason = (typeof BLOCKED_REASONS)[number];

const BLOCKED_BY_SYSTEM: Record<FailingSystem, BlockedReason> = {
  redis: 'redis',
  registry: 'schema_registry',
  kafka: 'kafka',
  guard: 'reject_guard',
  dead_letter: 'dead_letter',
  message: 'other',
  other: 'other',
};

export function blockedReasonOf(err: unknown): BlockedReason {
  const named = (err as { blockedReason?: unknown } | undefined)?.blockedReason;
  if (typeof named === 'string' && (BLOCKED_REASONS as readonly string[]).includes(named)) {
    return named as BlockedReason;
  }
  return BLOCKED_BY_SYSTEM[systemOf(err)];
}

export const isRetriable = (err: unknown): boolean => err instanceof MonitorError && err.retriable;

export const systemOf = (err: unknown): FailingSystem => (err instanceof MonitorError ? err.system : 'other');

/** What a failure was, for telling "the same way twice" and for dead-letter details: a type, never a value. */
export function failureKind(err: unknown): string {
  if (err instanceof StateRejectedError) return `${err.name}:${err.code}`;
  return err instanceof Error ? err.name : typeof err;
}

/** The request cannot be carried out as asked (an impossible or premature date, say): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
