/**
 * Turns a Kafka message value into a plain object, or says why it cannot.
 * Two framings, told apart per message: Confluent wire format (magic byte 0,
 * a 4-byte schema id, then an Avro / JSON Schema / Protobuf payload) and a
 * plain payload, read as the source format says: UTF-8 JSON, or Snowplow's
 * enriched TSV.
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ResolvedSource } from '../config/monitor-config.ts';
import { DependencyUnavailableError } from '../errors.ts';
import type { RejectReason } from '../outcome.ts';
import { parseEnrichedEvent } from './snowplow-tsv.ts';

export type Decoded =
  | { ok: true; value: Record<string, unknown>; schemaId: number | null }
  | { ok: false; reason: RejectReason; detail: string };

/** The registry could not be asked (down, 5xx): retry the batch, never reject the message. */
export class RegistryUnavailableError extends DependencyUnavailableError {
  constructor(message: string, cause?: unknown) {
    super('registry', message, cause);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How long an id the registry did not know is taken as unknown before asking
 * again: it spares the registry a request per message of a flood, and lets a
 * batch the reject guard holds go on soon after the schema is registered.
 */
const UNKNOWN_ID_RECHECK_MS = 15_000;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** The first byte of Confluent's wire format; no JSON document or Snowplow row starts with it. */
const WIRE_FORMAT_MAGIC = 0;

export class MessageDecoder {
  /** Schema ids the registry said it does not know; asked again after a while in case it was registered late. */
  private readonly unknownIds = new Map<number, number>();

  /** A value without the wire format's magic byte, read as the source format's payload. Synchronous: the common case. */
  readonly decodePlain: (value: Buffer) => Decoded;

  constructor(
    private readonly registry: SchemaRegistry | undefined,
    readonly maxBytes: number,
    payload: ResolvedSource['payload'] = 'json',
  ) {
    this.decodePlain = PLAIN_PAYLOADS[payload];
  }

  /**
   * The decoding where it needs no registry (a plain payload within the size
   * limit: the common case), synchronously; null: ask `decode`.
   */
  decodeNow(value: Buffer | null): Decoded | null {
    return value && value.length > 0 && value[0] !== WIRE_FORMAT_MAGIC && value.length <= this.maxBytes
      ? this.decodePlain(value)
      : null;
  }

  async decode(value: Buffer | null): Promise<Decoded> {
    if (!value || value.length === 0) return { ok: false, reason: 'empty', detail: 'empty message' };
    if (value.length > this.maxBytes) {
      return {
        ok: false,
        reason: 'too_large',
        detail: `${value.length} bytes, limit ${this.maxBytes}`,
      };
    }
    return value[0] === WIRE_FORMAT_MAGIC ? this.decodeConfluent(value) : this.decodePlain(value);
  }

  private async decodeConfluent(value: Buffer): Promise<Decoded> {
    if (value.length < 6) {
      return {
        ok: false,
        reason: 'bad_framing',
        detail: 'wire format needs 5 header bytes and a payload',
      };
    }
    const schemaId = value.readInt32BE(1);
    if (!this.registry) {
      return {
        ok: false,
        reason: 'unknown_schema',
        detail: 'no schema registry configured',
      };
    }
    const knownMissingAt = this.unknownIds.get(schemaId);
    if (knownMissingAt !== undefined && Date.now() - knownMissingAt < UNKNOWN_ID_RECHECK_MS) {
      return {
        ok: false,
        reason: 'unknown_schema',
        detail: `schema id ${schemaId} not in the registry`,
      };
    }
    try {
      await this.registry.getSchema(schemaId);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) {
        this.unknownIds.set(schemaId, Date.now());
        return {
          ok: false,
          reason: 'unknown_schema',
          detail: `schema id ${schemaId} not in the registry`,
        };
      }
      throw new RegistryUnavailableError(`schema registry unavailable (${status ?? (err as Error).message})`);
    }
    let decoded: unknown;
    try {
      decoded = await this.registry.decode(value);
    } catch {
      // the library's message can quote payload bytes; the DLQ keeps the payload itself
      return {
        ok: false,
        reason: 'decode_error',
        detail: `payload does not decode with schema id ${schemaId}`,
      };
    }
    if (!isPlainObject(decoded)) {
      return {
        ok: false,
        reason: 'not_object',
        detail: `payload is ${describe(decoded)}`,
      };
    }
    return { ok: true, value: decoded, schemaId };
  }
}

/** The value as UTF-8 text, or the rejection of a value that is not. */
function textOf(value: Buffer): string | Extract<Decoded, { ok: false }> {
  try {
    return utf8.decode(value);
  } catch {
    return { ok: false, reason: 'not_utf8', detail: 'value is not valid UTF-8' };
  }
}

export function decodeJson(value: Buffer): Decoded {
  const text = textOf(value);
  if (typeof text !== 'string') return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which may hold personal data
    return { ok: false, reason: 'not_json', detail: 'value is not valid JSON' };
  }
  if (!isPlainObject(parsed)) {
    return { ok: false, reason: 'not_object', detail: `JSON ${describe(parsed)}` };
  }
  return { ok: true, value: parsed, schemaId: null };
}

/** Snowplow's enriched event: a UTF-8 line of tab-separated fields. */
export function decodeSnowplowTsv(value: Buffer): Decoded {
  const text = textOf(value);
  if (typeof text !== 'string') return text;
  const parsed = parseEnrichedEvent(text);
  return parsed.ok
    ? { ok: true, value: parsed.event, schemaId: null }
    : { ok: false, reason: 'decode_error', detail: `not a Snowplow enriched event: ${parsed.detail}` };
}

const PLAIN_PAYLOADS: Record<ResolvedSource['payload'], (value: Buffer) => Decoded> = {
  json: decodeJson,
  'snowplow-tsv': decodeSnowplowTsv,
};

const describe = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`);
