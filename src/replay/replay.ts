/**
 * Replays CSV exports into the events topic: one message per row, keyed by
 * client id (rows without one spread over the partitions), row order kept per
 * key, Kafka record timestamp = the event's timestamp. JSON, or Avro in
 * Confluent wire format with one registered schema per distinct header.
 */
import { type SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import type { EventFormatName } from '../config/formats/index.ts';
import { ensureTopics, topicConfig } from '../source/topics.ts';
import { CONVERTERS } from './convert.ts';
import { type CsvEvent, listCsvFiles, readCsvEvents, type SkippedRow } from './csv-events.ts';

export type ReplayFormat = 'json' | 'avro';

export interface ReplayOptions {
  kafka: Kafka;
  topic: string;
  paths: string[];
  format: ReplayFormat;
  /** The source format each row is converted into first (flat: as exported). JSON framing only. */
  as?: EventFormatName;
  registry?: SchemaRegistry;
  /** Events per second; unlimited when absent. */
  rate?: number;
  /** Fields that carry the client id (the canonical name and its aliases). */
  clientIdFields: string[];
  partitions?: number;
  onProgress?: (sent: number) => void;
  onSkip?: (row: SkippedRow) => void;
  /** Rows (in file order, unreadable ones included) to pass over first: resumes a replay that stopped. */
  skip?: number;
  /** Rows to read at most after the skipped ones. */
  limit?: number;
}

export interface ReplaySummary {
  files: number;
  sent: number;
  skipped: SkippedRow[];
  /** Registry schema ids used, by header (Avro mode). */
  schemas: Record<string, number>;
  seconds: number;
  /**
   * Set when the topic's time-based retention is shorter than the age of the
   * oldest row: records keep their original timestamps, so the broker deletes
   * them at its next retention check, possibly before they are consumed.
   */
  retentionWarning?: string;
}

const BATCH = 500;

/** Count the rows first, so a progress bar can show an ETA. Cheap: a line count per file. */
export async function countRows(paths: string[]): Promise<number> {
  let n = 0;
  for (const file of listCsvFiles(paths)) for await (const _ of readCsvEvents(file, () => {})) n++;
  return n;
}

export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const files = listCsvFiles(o.paths);
  if (o.format === 'avro' && !o.registry)
    throw new Error('Avro replay needs a schema registry (SCHEMA_REGISTRY_URL)');
  if (o.format === 'avro' && (o.as ?? 'flat') !== 'flat')
    throw new Error(`Avro replay sends the export's own columns; ${o.as} events go as JSON`);
  await ensureTopics(o.kafka, o.topic, o.partitions ?? 6);

  const producer = o.kafka.producer({
    idempotent: true, // a retried send never duplicates a row
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  const skipped: SkippedRow[] = [];
  const schemas = new Map<string, number>();
  let sent = 0;
  let oldest = Number.POSITIVE_INFINITY;
  let pending: Message[] = [];
  const flush = async () => {
    if (!pending.length) return;
    await producer.send({ topic: o.topic, acks: -1, messages: pending });
    sent += pending.length;
    pending = [];
    o.onProgress?.(sent);
    if (o.rate) {
      const due = started + (sent / o.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };

  const skip = o.skip ?? 0;
  const end = o.limit === undefined ? Number.POSITIVE_INFINITY : skip + o.limit;
  let row = 0;
  const inRange = () => {
    row++;
    return row > skip && row <= end;
  };
  try {
    reading: for (const file of files) {
      for await (const event of readCsvEvents(file, (s) => {
        if (inRange()) {
          skipped.push(s);
          o.onSkip?.(s);
        }
      })) {
        if (row >= end) break reading;
        if (!inRange()) continue;
        if (event.timestampMs !== null && event.timestampMs < oldest) oldest = event.timestampMs;
        pending.push(await toMessage(event, o, schemas));
        if (pending.length >= (o.rate ? Math.max(1, Math.min(BATCH, Math.floor(o.rate / 10))) : BATCH))
          await flush();
      }
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  const retentionMs = await topicRetentionMs(o.kafka, o.topic).catch(() => undefined);
  const ageMs = Date.now() - oldest;
  return {
    files: files.length,
    sent,
    skipped,
    schemas: Object.fromEntries(schemas),
    seconds: (Date.now() - started) / 1000,
    ...(retentionMs !== undefined && retentionMs >= 0 && ageMs > retentionMs
      ? {
          retentionWarning:
            `${o.topic} keeps records for ${Math.round(retentionMs / 3_600_000)} h but the oldest row is ` +
            `${Math.round(ageMs / 86_400_000)} days old: the broker will delete replayed records at its next ` +
            `retention check. Replay into a topic with retention.ms=-1 (kafka-configs --alter --add-config retention.ms=-1).`,
        }
      : {}),
  };
}

/** The topic's effective retention.ms (-1: kept forever). */
async function topicRetentionMs(kafka: Kafka, topic: string): Promise<number | undefined> {
  const value = await topicConfig(kafka, topic, 'retention.ms');
  return value === undefined ? undefined : Number(value);
}

async function toMessage(row: CsvEvent, o: ReplayOptions, schemas: Map<string, number>): Promise<Message> {
  const clientField = o.clientIdFields.find((f) => row.fields[f] !== undefined);
  const key = clientField ? row.fields[clientField] : null;
  const timestamp = String(row.timestampMs ?? Date.now());
  if (o.format === 'json') return { key, value: CONVERTERS[o.as ?? 'flat'](row), timestamp };
  const id = await schemaIdFor(row.header, o, schemas);
  return { key, value: await o.registry!.encode(id, row.fields), timestamp };
}

/** One Avro record schema per distinct header: every column a nullable string. */
async function schemaIdFor(
  header: string[],
  o: ReplayOptions,
  schemas: Map<string, number>,
): Promise<number> {
  const signature = header.join(',');
  const known = schemas.get(signature);
  if (known !== undefined) return known;
  const schema = {
    type: 'record',
    name: 'TrackingEvent',
    namespace: 'event_monitor.replay',
    doc: `columns: ${signature}`,
    fields: header.map((name) => ({ name: avroName(name), type: ['null', 'string'], default: null })),
  };
  const { id } = await o.registry!.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
    { subject: `${o.topic}-value` },
  );
  schemas.set(signature, id);
  return id;
}

function avroName(column: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) {
    throw new Error(`column "${column}" is not a valid Avro field name; replay it as JSON (--format json)`);
  }
  return column;
}
