/**
 * A consumed message as the pipeline sees it, and what becomes of a rejected
 * one: the shapes the Kafka adapters and the ingest pipeline share.
 */
import type { RejectReason } from '../outcome.ts';

export interface IncomingMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface DeadLetter {
  message: IncomingMessage;
  topic: string;
  partition: number;
  reason: RejectReason;
  detail: string;
  /** The day the rejection was counted on (a replay takes it back there). */
  day: string;
  /** For `contract_violation`: the event's name and what it broke (paths and rules, never values). */
  contract?: { eventName: string; violations: readonly { path: string; rule: string }[] };
}

export interface DeadLetterSink {
  send(records: DeadLetter[]): Promise<void>;
}
