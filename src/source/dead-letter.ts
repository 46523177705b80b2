/**
 * Writes rejected messages to `<topic>.dlq`: the original key, value and
 * headers, plus headers saying why and where from. Delivery is at least once
 * (a crash before the offset commit writes the record again); the source
 * partition and offset headers let a reader drop repeats.
 *
 * A dead letter can always be written, whatever the sender put in it: headers
 * are copied as own string or Buffer values only (the originals kept, base64,
 * in one JSON header when any could not be copied as they were), batches are
 * cut to the dead-letter topic's `max.message.bytes` and compressed, and a
 * record that still cannot fit is replaced by its coordinates and reason.
 */
import { gzipSync } from 'node:zlib';
import { CompressionTypes, type Message, type Producer } from 'kafkajs';

import { DependencyUnavailableError, MonitorError } from '../errors.ts';
import { deadLetterTopicOf } from './kafka.ts';
import type { DeadLetter, DeadLetterSink, IncomingMessage } from './messages.ts';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './topics.ts';

export const DLQ_HEADERS = {
  reason: 'x-em-reject-reason',
  detail: 'x-em-reject-detail',
  topic: 'x-em-source-topic',
  partition: 'x-em-source-partition',
  offset: 'x-em-source-offset',
  timestamp: 'x-em-source-timestamp',
  /** the day the rejection was counted on, in the monitor's time zone */
  day: 'x-em-counted-day',
  /** contract_violation: the event name, and the first violation's path and rule */
  contractEvent: 'x-em-contract-event',
  contractPath: 'x-em-contract-path',
  contractRule: 'x-em-contract-rule',
  /** contract_violation: every violation, as a JSON array of [path, rule] */
  contractViolations: 'x-em-contract-violations',
  /**
   * Every original header as a JSON array of [name, base64 value or null], when
   * some could not be copied as they were (a null value, say).
   */
  originalHeaders: 'x-em-original-headers',
  /** The original key and value were left out: no dead-letter record could carry them. */
  valueOmitted: 'x-em-value-omitted',
} as const;

/** Violations named in one dead letter's headers; more are cut (the count is in the day's report). */
const MAX_HEADER_VIOLATIONS = 20;

/** What Kafka adds around each record and each batch, generously: the cut leaves this much room. */
const RECORD_OVERHEAD_BYTES = 64;
const BATCH_OVERHEAD_BYTES = 1024;

/**
 * Kafka error types that say the record itself cannot be written (the broker
 * refuses it whatever happens), not that Kafka is unavailable.
 */
const REFUSED_RECORD_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
]);

/**
 * A dead letter that could not be written for a reason of ours (its record
 * refused, or not encodable): never a Kafka outage. Not retriable.
 */
export class DeadLetterWriteError extends MonitorError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, system: 'dead_letter', cause });
  }
}

function contractHeaders(c: DeadLetter['contract']): Record<string, string> {
  if (!c || c.violations.length === 0) return {};
  const first = c.violations[0]!;
  return {
    [DLQ_HEADERS.contractEvent]: c.eventName,
    [DLQ_HEADERS.contractPath]: first.path,
    [DLQ_HEADERS.contractRule]: first.rule,
    [DLQ_HEADERS.contractViolations]: JSON.stringify(
      c.violations.slice(0, MAX_HEADER_VIOLATIONS).map((v) => [v.path, v.rule]),
    ),
  };
}

type HeaderValue = Buffer | string;
type OutHeaders = Record<string, HeaderValue | HeaderValue[]>;

const isHeaderValue = (v: unknown): v is HeaderValue => typeof v === 'string' || Buffer.isBuffer(v);

/**
 * The incoming headers as Kafka can carry them again. kafkajs gathers a
 * record's headers on a plain object, so a header named after an
 * `Object.prototype` member (`constructor`, `toString`, `__proto__`) arrives
 * merged with the inherited member, and a header without a value arrives as
 * null: only own string and Buffer values are copied. When anything could not
 * be copied, `original` lists what the sender sent (inherited members are
 * kafkajs's, not the sender's, and are left out).
 */
export function copyableHeaders(headers: IncomingMessage['headers']): {
  copied: OutHeaders;
  original?: string;
} {
  const copied: OutHeaders = Object.create(null);
  if (!headers) return { copied };
  const sent: [string, string | null][] = [];
  let lossless = true;
  for (const name of Object.keys(headers)) {
    const raw: unknown = (headers as Record<string, unknown>)[name];
    const values = Array.isArray(raw) ? raw : [raw];
    const kept: HeaderValue[] = [];
    for (const v of values) {
      if (isHeaderValue(v)) {
        kept.push(v);
        sent.push([name, Buffer.from(v).toString('base64')]);
      } else if (v === null || v === undefined) {
        lossless = false;
        sent.push([name, null]);
      } else lossless = false; // an inherited member: kafkajs's, not the sender's
    }
    if (name.startsWith('x-em-'))
      lossless = false; // ours win below; the sender's is kept in `original`
    else if (kept.length === 1) copied[name] = kept[0]!;
    else if (kept.length > 1) copied[name] = kept;
  }
  return lossless ? { copied } : { copied, original: JSON.stringify(sent) };
}

const byteLength = (v: HeaderValue | null | undefined) =>
  v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

function sizeOf(m: Message): number {
  let n =
    RECORD_OVERHEAD_BYTES + byteLength(m.key as HeaderValue | null) + byteLength(m.value as HeaderValue);
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    for (const each of Array.isArray(v) ? v : [v]) n += Buffer.byteLength(name) + byteLength(each) + 8;
  }
  return n;
}

/** The coordinates and reason of a dead letter, its key, value and original headers left out. */
function coordinatesOnly(m: Message, why: string): Message {
  const headers: OutHeaders = Object.create(null);
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    if (name.startsWith('x-em-') && name !== DLQ_HEADERS.originalHeaders && v !== undefined) {
      headers[name] = v as HeaderValue;
    }
  }
  headers[DLQ_HEADERS.valueOmitted] = why;
  return { key: null, value: null, ...(m.timestamp ? { timestamp: m.timestamp } : {}), headers };
}

/** Whether a failed write is the record's fault (refused, not encodable) rather than Kafka's availability. */
function refusedRecord(err: unknown): boolean {
  const e = err as { name?: string; type?: string; cause?: unknown; retriable?: boolean } | undefined;
  if (!e) return false;
  if (typeof e.type === 'string' && REFUSED_RECORD_TYPES.has(e.type)) return true;
  if (e.cause !== undefined && refusedRecord(e.cause)) return true;
  // kafkajs's own errors all carry their name's prefix; anything else was thrown encoding our record
  return typeof e.name === 'string' && !e.name.startsWith('KafkaJS');
}

export interface DeadLetterSinkOptions {
  /** The dead-letter topic's `max.message.bytes`: no batch written is larger. */
  maxBatchBytes?: number;
  /** A dead letter we could not write as it was (our fault): counted, never a Kafka outage. */
  onOwnFault?: (err: DeadLetterWriteError) => void;
}

export class KafkaDeadLetterSink implements DeadLetterSink {
  private readonly maxBatchBytes: number;

  constructor(
    private readonly producer: Producer,
    private readonly options: DeadLetterSinkOptions = {},
  ) {
    this.maxBatchBytes = options.maxBatchBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The Kafka record of a dead letter: original key, value and copyable headers, then ours. */
  static recordOf(r: DeadLetter): Message {
    const { copied, original } = copyableHeaders(r.message.headers);
    const headers: OutHeaders = Object.assign(copied, {
      [DLQ_HEADERS.reason]: r.reason,
      [DLQ_HEADERS.detail]: r.detail,
      [DLQ_HEADERS.topic]: r.topic,
      [DLQ_HEADERS.partition]: String(r.partition),
      [DLQ_HEADERS.offset]: r.message.offset,
      [DLQ_HEADERS.timestamp]: r.message.timestamp,
      [DLQ_HEADERS.day]: r.day,
      ...contractHeaders(r.contract),
      ...(original !== undefined ? { [DLQ_HEADERS.originalHeaders]: original } : {}),
    });
    return { key: r.message.key, value: r.message.value, timestamp: r.message.timestamp, headers };
  }

  async send(records: DeadLetter[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      const t = deadLetterTopicOf(r.topic);
      const list = byTopic.get(t) ?? [];
      list.push(this.fitted(KafkaDeadLetterSink.recordOf(r)));
      byTopic.set(t, list);
    }
    for (const [topic, messages] of byTopic) {
      for (const chunk of this.chunks(messages)) await this.write(topic, chunk);
    }
  }

  /** The record, or its coordinates when even compressed it could not fit in one batch. */
  private fitted(m: Message): Message {
    const room = this.maxBatchBytes - BATCH_OVERHEAD_BYTES;
    const size = sizeOf(m);
    if (size <= room) return m;
    // compressed alone it may still fit: measure what gzip makes of it (rare: only oversized records)
    const value = m.value as HeaderValue | null;
    const compressed = size - byteLength(value) + (value ? gzipSync(value).length : 0);
    if (compressed <= room) return m;
    return coordinatesOnly(m, `${size} bytes, over the dead-letter topic's limit of ${this.maxBatchBytes}`);
  }

  /** Consecutive records whose uncompressed size together stays within one batch. */
  private *chunks(messages: Message[]): Generator<Message[]> {
    const room = this.maxBatchBytes - BATCH_OVERHEAD_BYTES;
    let chunk: Message[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = sizeOf(m);
      if (chunk.length > 0 && bytes + size > room) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(m);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  /**
   * One batch, compressed. The consumer's batch waits until its dead letters
   * are written: Kafka unavailable is retriable; a batch refused for what it
   * holds is written again as coordinates, record by record, and counted.
   */
  private async write(topic: string, messages: Message[]): Promise<void> {
    try {
      await this.send1(topic, messages);
    } catch (err) {
      if (!refusedRecord(err)) throw kafkaUnavailable(err);
      this.options.onOwnFault?.(new DeadLetterWriteError('a dead-letter batch was refused', err));
      const fallback = messages.map((m) => coordinatesOnly(m, 'the dead-letter topic refused the record'));
      await this.send1(topic, fallback).catch((again: unknown) => {
        if (!refusedRecord(again)) throw kafkaUnavailable(again);
        throw new DeadLetterWriteError('the dead-letter topic refused even coordinates-only records', again);
      });
    }
  }

  private async send1(topic: string, messages: Message[]) {
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.GZIP,
      topicMessages: [{ topic, messages }],
    });
  }
}

const kafkaUnavailable = (err: unknown) =>
  new DependencyUnavailableError('kafka', `dead-letter write failed (${(err as Error)?.name})`, err);
