/**
 * The reject guard with real parts: a consumer pointed at a schema registry
 * (a fresh Apicurio of this test's own) that lacks the schema its topic's
 * messages were written with holds the batch instead of dead-lettering the
 * stream, reports itself not ready and raises its holding gauge (the
 * RejectGuardHolding alert reads it); once the schema is registered it
 * consumes every message, and the dead-letter topic stays empty.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { type RegistryInstance, startRegistry, stop } from '../../stack/services.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { kafka, produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const REGISTRY: RegistryInstance = {
  name: 'registry-guard',
  endpoint: 'http://127.0.0.1:28081/apis/ccompat/v7',
};
const DAY = '2025-03-01';
const TS = Date.parse(`${DAY}T09:00:00.000Z`);
const EVENTS = 300;
const FIELDS = ['client_id', 'page_url', 'referrer', 'timestamp', 'event_name', 'event_data', 'user_agent'];
const SCHEMA = {
  type: 'record',
  name: 'Event',
  namespace: 'guard.test',
  fields: FIELDS.map((name) => ({ name, type: ['null', 'string'], default: null })),
};

let space: TestSpace;
let registry: SchemaRegistry;
let expectedId: number;
let monitor: MonitorProcess;
let port: number;

/** Confluent wire format by hand: magic byte, schema id, Avro body; the registry has not seen the schema. */
function wire(id: number, event: Record<string, string | null>): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const body = avro.Type.forSchema(SCHEMA as avro.Schema).toBuffer(event);
  return Buffer.concat([header, body]);
}

async function events(): Promise<number> {
  const r = redis();
  try {
    return (await new MonitorState(r, space.namespace).days.read(DAY)).counters.events;
  } finally {
    r.disconnect();
  }
}

async function deadLetters(): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(space.dlq);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;

beforeAll(async () => {
  await startRegistry(REGISTRY, () => {});
  registry = new SchemaRegistry({ host: REGISTRY.endpoint });
  // ids are handed out in order: the schema registered next gets the one after this probe's
  const probe = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'Probe', fields: [] }) },
    { subject: `probe-${Date.now()}-value` },
  );
  expectedId = probe.id + 1;
  space = await testSpace(import.meta.filename, { partitions: 3 });
  const messages: Message[] = Array.from({ length: EVENTS }, (_, i) => ({
    key: `c-${i}`,
    value: wire(expectedId, {
      client_id: `c-${i}`,
      page_url: 'https://puffy.com/',
      referrer: null,
      timestamp: new Date(TS + i * 1000).toISOString(),
      event_name: 'page_viewed',
      event_data: null,
      user_agent: 'Mozilla/5.0',
    }),
    timestamp: String(TS + i * 1000),
  }));
  await produce(space.topic, messages);
  monitor = startMonitor(['consume'], { ...space.env, SCHEMA_REGISTRY_URL: REGISTRY.endpoint });
  port = await metricsPortOf(monitor);
}, 180_000);

afterAll(async () => {
  if (monitor.child.exitCode === null) monitor.kill('SIGKILL');
  await space.cleanup();
  await stop(REGISTRY.name);
});

describe('reject guard', () => {
  it('holds the stream instead of dead-lettering it while the registry lacks the schema', async () => {
    await eventually(
      () => scrape(port),
      (text) => metricValue(text, 'em_reject_guard_holding', { namespace: space.namespace }) === 1,
      90_000,
    );
    expect(await readyz()).toBe(503);
    expect(monitor.output()).toContain('holding the batch instead of dead-lettering it');
    expect(monitor.output()).toContain('unknown_schema');
    expect(await deadLetters()).toBe(0);
    expect(await events()).toBe(0);
  });

  it('consumes every message once the schema is registered, with nothing in the dead-letter topic', async () => {
    const registered = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(SCHEMA) },
      { subject: `${space.topic}-value` },
    );
    expect(registered.id).toBe(expectedId);
    // the decoder asks again about an unknown id after a minute; the held batch is retried with backoff
    await eventually(events, (n) => n === EVENTS, 180_000);
    const text = await scrape(port);
    expect(metricValue(text, 'em_reject_guard_holding', { namespace: space.namespace })).toBe(0);
    expect(await readyz()).toBe(200);
    expect(await deadLetters()).toBe(0);
    monitor.kill('SIGTERM');
    expect(await monitor.exited).toBe(0);
  }, 240_000);
});
