/**
 * Routes kafkajs's log lines into our logger at a level that means something.
 * kafkajs logs every error response at ERROR, including those a healthy group
 * goes through at start-up and on every rebalance (the coordinator is loading,
 * not available yet, the group is rebalancing). Those are said once at info and
 * then at debug; real errors stay at error. The decision is by protocol error
 * type: the messages are looked up in kafkajs's own error table.
 */
import { createRequire } from 'node:module';
import { logLevel } from 'kafkajs';

type Level = 'error' | 'warn' | 'info' | 'debug';

const LEVELS: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Error responses a healthy client meets while a group forms and rebalances,
 * and while a topic it just created is still being announced (a KRaft broker
 * answers UNKNOWN_TOPIC_OR_PARTITION for a moment). kafkajs retries them; if
 * one persists (a topic that really is missing), the command still fails with
 * that error, so nothing real is hidden by saying them at info.
 */
export const TRANSIENT_GROUP_ERRORS = [
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'UNKNOWN_TOPIC_OR_PARTITION',
] as const;
export type TransientGroupError = (typeof TRANSIENT_GROUP_ERRORS)[number];

// kafkajs's log entries carry the error's message only; its error table maps it back to the type.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; message: string }[];
};
const TRANSIENT_BY_MESSAGE = new Map<string, TransientGroupError>(
  errorCodes
    .filter((e) => (TRANSIENT_GROUP_ERRORS as readonly string[]).includes(e.type))
    .map((e) => [e.message, e.type as TransientGroupError]),
);
if (TRANSIENT_BY_MESSAGE.size !== TRANSIENT_GROUP_ERRORS.length) {
  throw new Error('kafkajs error table changed: transient group errors not all found');
}

export interface KafkaLogLine {
  level: Level;
  /** The protocol error type, when the line reports a transient group error. */
  transient?: TransientGroupError;
}

/** The level for one kafkajs log entry; `seen` remembers which transient types were said once. */
export function kafkaLogLevel(
  kafkaLevel: number,
  entry: { error?: unknown },
  seen: Set<TransientGroupError>,
): KafkaLogLine {
  const level = LEVELS[kafkaLevel] ?? 'info';
  const transient = typeof entry.error === 'string' ? TRANSIENT_BY_MESSAGE.get(entry.error) : undefined;
  if (!transient || (level !== 'error' && level !== 'warn')) return { level };
  if (seen.has(transient)) return { level: 'debug', transient };
  seen.add(transient);
  return { level: 'info', transient };
}
