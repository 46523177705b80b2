/**
 * Every accepted and rejected class, sent through the real broker in all three
 * framings and consumed by the real CLI process: Redis state, dead-letter
 * topic and metrics must agree, message for message.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../src/source/dead-letter.ts';
import type { DaySnapshot } from '../../src/state/commands.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { eventually, metricsPortOf, metricValue, scrape, startMonitor } from '../helpers/monitor-process.ts';
import { env, produce, readTopic, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const TS = `${DAY}T10:00:00.000Z`;
const RECORD_TS = String(Date.parse(TS));

const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const event = (over: Record<string, unknown> = {}, drop: string[] = []) => {
  const e: Record<string, unknown> = {
    client_id: 'c-plain',
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: TS,
    event_name: 'page_viewed',
    event_data: null,
    // a browser's: a bare "Mozilla/5.0" is a script's, and bots stay out of clients and the funnel
    user_agent: BROWSER,
    ...over,
  };
  for (const k of drop) delete e[k];
  return e;
};
const json = (e: Record<string, unknown>, key = 'k'): Message => ({
  key,
  value: JSON.stringify(e),
  timestamp: RECORD_TS,
});

let space: TestSpace;
let snapshot: DaySnapshot;
let metrics: string;
let dlq: Awaited<ReturnType<typeof readTopic>>;
let exitCode: number | null;
const expected = { accepted: 0, rejected: 0 };

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
  const registry = new SchemaRegistry({ host: env.SCHEMA_REGISTRY_URL });
  const avroSchema = {
    type: 'record',
    name: 'TrackingEvent',
    namespace: `t.${space.namespace.replace(/-/g, '_')}`,
    fields: ['client_id', 'page_url', 'referrer', 'timestamp', 'event_name', 'event_data', 'user_agent'].map(
      (name) => ({
        name,
        type: ['null', 'string'],
        default: null,
      }),
    ),
  };
  const { id: avroId } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(avroSchema) },
    { subject: `${space.topic}-value` },
  );
  const jsonSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `TrackingEvent_${space.namespace}`,
    type: 'object',
    properties: {
      clientId: { type: ['string', 'null'] },
      timestamp: { type: 'string' },
      event_name: { type: 'string' },
    },
  };
  const { id: jsonSchemaId } = await registry.register(
    { type: SchemaType.JSON, schema: JSON.stringify(jsonSchema) },
    { subject: `${space.topic}-json-value` },
  );
  const avro = async (e: Record<string, unknown>) => ({
    key: 'a',
    value: await registry.encode(avroId, {
      ...Object.fromEntries(avroSchema.fields.map((f) => [f.name, null])),
      ...e,
    }),
    timestamp: RECORD_TS,
  });
  const validAvro = (await avro(event({ client_id: 'c-avro' }))).value;

  const accepted: Message[] = [
    json(event()),
    json(event({ client_id: null })),
    json(event({ client_id: '' })),
    json(event({}, ['referrer'])),
    json(event({ clientId: 'c-alias' }, ['client_id'])),
    json(event({ event_name: null })),
    json(event({ event_name: 'made_up' })),
    json(event({ event_data: '{not json' })),
    json(event({ event_name: 'checkout_completed', event_data: '{"revenue":100}' })),
    json(event({ event_name: 'checkout_completed', event_data: '{"transaction_id":"T-1"}' })),
    json(event({ event_name: 'checkout_completed', event_data: '{"transaction_id":"T-2","revenue":"12"}' })),
    json(event({ event_name: 'checkout_completed', event_data: '{"transaction_id":"T-3","revenue":-1}' })),
    json(event({ event_name: 'checkout_completed', event_data: '{"transaction_id":"T-4","revenue":245.5}' })),
    json(event({ event_name: 'checkout_completed', event_data: { transaction_id: 'T-4', revenue: 245.5 } })), // duplicate
    json(event({ event_name: 'product_added_to_cart', client_id: 'c-funnel' })),
    json(event({ event_name: 'checkout_started', client_id: 'c-funnel' })),
    await avro(event({ client_id: 'c-avro' })),
    {
      key: 'j',
      value: await registry.encode(jsonSchemaId, {
        clientId: 'c-jsonschema',
        timestamp: TS,
        event_name: 'page_viewed',
      }),
      timestamp: RECORD_TS,
    },
  ];
  const rejected: Message[] = [
    { key: 'r', value: Buffer.alloc(0), timestamp: RECORD_TS },
    { key: 'r', value: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), timestamp: RECORD_TS },
    { key: 'r', value: 'hello, not json', timestamp: RECORD_TS },
    { key: 'r', value: Buffer.from([0, 0, 0]), timestamp: RECORD_TS },
    { key: 'r', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6]), timestamp: RECORD_TS },
    { key: 'r', value: validAvro.subarray(0, 9), timestamp: RECORD_TS },
    { key: 'r', value: '[1,2,3]', timestamp: RECORD_TS },
    { key: 'r', value: JSON.stringify({ pad: 'x'.repeat(5000), timestamp: TS }), timestamp: RECORD_TS },
    json(event({}, ['timestamp'])),
    json(event({ timestamp: '01/03/2025 10:00' })),
  ];
  expected.accepted = accepted.length;
  expected.rejected = rejected.length;
  // interleave, so accepted and rejected share batches
  const all: Message[] = [];
  for (let i = 0; i < Math.max(accepted.length, rejected.length); i++) {
    if (accepted[i]) all.push(accepted[i]!);
    if (rejected[i]) all.push(rejected[i]!);
  }
  await produce(space.topic, all);

  const configFile = join(tmpdir(), `${space.namespace}.yml`);
  writeFileSync(configFile, 'ingest:\n  maxMessageBytes: 4096\n');
  const monitor = startMonitor(['consume'], { ...space.env, MONITOR_CONFIG_FILE: configFile });
  const port = await metricsPortOf(monitor);
  metrics = await eventually(
    () => scrape(port),
    (text) => metricValue(text, 'em_messages_consumed_total') === all.length,
  );
  monitor.kill('SIGTERM');
  exitCode = await monitor.exited;
  const r = redis();
  snapshot = await new MonitorState(r, space.namespace).days.read(DAY);
  r.disconnect();
  dlq = await readTopic(space.dlq, expected.rejected);
});
afterAll(async () => space.cleanup());

describe('every message ends accepted or rejected', () => {
  it('consumed = accepted + rejected, in the metrics', () => {
    const accepted = metricValue(metrics, 'em_events_accepted_total');
    const rejected = metricValue(metrics, 'em_messages_rejected_total');
    expect(accepted).toBe(expected.accepted);
    expect(rejected).toBe(expected.rejected);
    expect(metricValue(metrics, 'em_messages_consumed_total')).toBe(accepted + rejected);
  });

  it('exits 0 on SIGTERM after finishing its work', () => {
    expect(exitCode).toBe(0);
  });

  it('counts each rejection reason on the day of its record timestamp', () => {
    const c = snapshot.counters;
    expect(c.rejected.get('empty')).toBe(1);
    expect(c.rejected.get('not_utf8')).toBe(1);
    expect(c.rejected.get('not_json')).toBe(1);
    expect(c.rejected.get('bad_framing')).toBe(1);
    expect(c.rejected.get('unknown_schema')).toBe(1);
    expect(c.rejected.get('decode_error')).toBe(1);
    expect(c.rejected.get('not_object')).toBe(1);
    expect(c.rejected.get('too_large')).toBe(1);
    expect(c.rejected.get('timestamp_missing')).toBe(1);
    expect(c.rejected.get('timestamp_invalid')).toBe(1);
    expect(metricValue(metrics, 'em_messages_rejected_total', { reason: 'unknown_schema' })).toBe(1);
  });

  it('writes every rejected message to the dead-letter topic with its reason and source', () => {
    expect(dlq).toHaveLength(expected.rejected);
    const reasons = dlq.map((r) => r.headers[DLQ_HEADERS.reason]).sort();
    expect(reasons).toEqual(
      [
        'bad_framing',
        'decode_error',
        'empty',
        'not_json',
        'not_object',
        'not_utf8',
        'timestamp_invalid',
        'timestamp_missing',
        'too_large',
        'unknown_schema',
      ].sort(),
    );
    for (const r of dlq) {
      expect(r.headers[DLQ_HEADERS.topic]).toBe(space.topic);
      expect(Number(r.headers[DLQ_HEADERS.offset])).toBeGreaterThanOrEqual(0);
      expect(r.headers[DLQ_HEADERS.partition]).toMatch(/^\d+$/);
      expect(r.key?.toString()).toBeTruthy();
    }
    const notJson = dlq.find((r) => r.headers[DLQ_HEADERS.reason] === 'not_json');
    expect(notJson?.value?.toString()).toBe('hello, not json');
    const notUtf8 = dlq.find((r) => r.headers[DLQ_HEADERS.reason] === 'not_utf8');
    expect([...(notUtf8?.value ?? [])]).toEqual([0xff, 0xfe, 0x7b, 0x7d]);
  });
});

describe('accepted events and their field problems', () => {
  it('counts accepted events and names', () => {
    const c = snapshot.counters;
    expect(c.events).toBe(expected.accepted);
    expect(c.eventNames.get('checkout_completed')).toBe(6);
    expect(c.eventNames.get('made_up')).toBe(1);
    expect(c.problems.get('event_name_unknown:event_name')).toBe(1);
    expect(c.problems.get('event_name_missing:event_name')).toBe(1);
    expect(metricValue(metrics, 'em_events_accepted_total', { event_name: 'other' })).toBe(1);
    expect(metricValue(metrics, 'em_events_accepted_total', { event_name: 'missing' })).toBe(1);
  });

  it('tells null from empty from absent, and records the alias', () => {
    const c = snapshot.counters;
    expect(c.nullClient).toBe(2);
    expect(c.missingFields.get('referrer')).toBe(2); // the deleted one, and the JSON-Schema event that never had it
    expect(c.aliases.get('clientId')).toBe(2);
    expect(c.problems.get('alias_used:clientId')).toBe(2);
    expect(c.problems.get('event_data_invalid_json:event_data')).toBe(1);
  });

  it('tallies purchase problems and counts revenue in exact cents, duplicates once deduplicated', () => {
    const c = snapshot.counters;
    expect(c.problems.get('transaction_id_missing:transaction_id')).toBe(1);
    expect(c.problems.get('revenue_missing:revenue')).toBe(1);
    expect(c.problems.get('revenue_invalid:revenue')).toBe(1);
    expect(c.problems.get('revenue_negative:revenue')).toBe(1);
    expect(c.purchases).toBe(6);
    expect(c.revenueCents).toBe(10_000 + 24_550 * 2);
    expect(c.revenueDedupCents).toBe(10_000 + 24_550);
    expect(c.duplicateTransactions).toBe(1);
    expect(metricValue(metrics, 'em_duplicate_transactions_total')).toBe(1);
    expect(metricValue(metrics, 'em_revenue_total')).toBeCloseTo(591, 6);
  });

  it('decodes Avro and JSON-Schema framed messages through the registry and records their schema ids', () => {
    expect(snapshot.counters.schemaIds.size).toBe(2);
    expect(snapshot.counters.fieldSets.get('clientId,event_name,timestamp')).toBe(1);
  });

  it('keeps exact funnel clients', () => {
    expect(snapshot.funnel).toEqual({ atc: 1, checkout: 1, purchase: 1 });
    expect(snapshot.clients).toBe(5); // c-plain, c-alias, c-funnel, c-avro, c-jsonschema
  });

  it('never exports a client id, transaction id or URL as a label value', () => {
    for (const secret of ['c-plain', 'c-alias', 'c-funnel', 'T-4', 'puffy.com', 'c-avro']) {
      expect(metrics).not.toContain(secret);
    }
  });
});
