/**
 * A real round trip through each service of the stack. Each one can fail:
 * nothing here is mocked.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayDelta } from '../../src/aggregation/day-delta.ts';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { startMetricsServer } from '../../src/metrics/server.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { status, up } from '../../stack/services.ts';
import { env, kafka, produce, readTopic, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

let space: TestSpace;
beforeAll(async () => {
  space = await testSpace(import.meta.filename);
});
afterAll(async () => space.cleanup());

describe('the local stack', () => {
  it('stack:up again is idempotent: the same processes keep running', async () => {
    const before = await status();
    const again = await up(() => {});
    const after = await status();
    expect(after).toEqual(before);
    expect(again.map((s) => s.state).every((s) => s === 'running' || s === 'external')).toBe(true);
    expect(before.filter((s) => s.state === 'stopped')).toEqual([]);
  });

  it('Kafka: a message produced is consumed back', async () => {
    const value = `hello ${randomBytes(6).toString('hex')}`;
    await produce(space.topic, [{ key: 'k', value }]);
    const [record] = await readTopic(space.topic, 1);
    expect(record?.value?.toString()).toBe(value);
    const admin = kafka().admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers).toHaveLength(1);
  });

  it('schema registry: an Avro schema is registered and a message encoded and decoded through it', async () => {
    const registry = new SchemaRegistry({ host: env.SCHEMA_REGISTRY_URL });
    const schema = {
      type: 'record',
      name: 'RoundTrip',
      namespace: `test.${space.namespace.replace(/-/g, '_')}`,
      fields: [
        { name: 'client_id', type: ['null', 'string'], default: null },
        { name: 'n', type: 'int' },
      ],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: `${space.topic}-value` },
    );
    expect(id).toBeGreaterThan(0);
    const encoded = await registry.encode(id, { client_id: 'c-1', n: 42 });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    // a fresh client must fetch the schema by id from the registry to decode
    const decoded = await new SchemaRegistry({ host: env.SCHEMA_REGISTRY_URL }).decode(encoded);
    expect(decoded).toEqual({ client_id: 'c-1', n: 42 });
  });

  it('Redis: the day-state Lua script is loaded and run', async () => {
    const r = redis();
    const state = new MonitorState(r, space.namespace);
    const delta = new DayDelta('2025-01-01', { channels: parseMonitorConfig({}).channels });
    delta.counters.events = 3;
    const slice = { delta, partitionKey: 'stack-test/0', lastOffset: 9, expectedWatermark: -1 };
    expect((await state.days.applyMany([slice]))[0]?.status).toBe('applied');
    expect((await state.days.applyMany([slice]))[0]?.status).toBe('already_applied');
    expect((await state.days.read('2025-01-01')).counters.events).toBe(3);
    r.disconnect();
  });

  it('Prometheus: scrapes a /metrics endpoint served here, and the sample reads back through its HTTP API', async () => {
    const registry = new Registry();
    const marker = Math.floor(Math.random() * 1e9);
    new Gauge({ name: 'em_stack_test_marker', help: 'round trip marker', registers: [registry] }).set(marker);
    const server = await startMetricsServer(registry, '127.0.0.1', 0);
    const dir = process.env.PROMETHEUS_FILE_SD_DIR!;
    mkdirSync(dir, { recursive: true });
    // named as a monitor names its own (job, namespace, live pid): a running
    // monitor removes files whose trailing number is a dead pid, and a
    // namespace ending in six digits (t-stack-123456) read as one
    const file = join(dir, `monitor-${space.namespace}-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify([{ targets: [`127.0.0.1:${server.port}`], labels: { namespace: space.namespace } }]),
    );
    try {
      const query = `em_stack_test_marker{namespace="${space.namespace}"}`;
      let value: string | undefined;
      // discovery and scrape run every 2 s; a reload of Prometheus (a second checkout's stack:up) restarts both
      for (let i = 0; i < 120 && value === undefined; i++) {
        const res = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
        value = body.data.result[0]?.value[1];
        if (value === undefined) await new Promise((r) => setTimeout(r, 500));
      }
      expect(Number(value)).toBe(marker);
    } finally {
      rmSync(file, { force: true });
      await server.close();
    }
  });

  it('Alertmanager: an alert posted to API v2 is read back', async () => {
    const id = randomBytes(4).toString('hex');
    const res = await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'StackRoundTrip', severity: 'info', namespace: space.namespace, id },
          annotations: { summary: 'stack round trip' },
          endsAt: new Date(Date.now() + 60_000).toISOString(),
        },
      ]),
    });
    expect(res.status).toBe(200);
    const list = (await (
      await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent(`id="${id}"`)}`)
    ).json()) as { labels: Record<string, string>; status: { state: string } }[];
    expect(list).toHaveLength(1);
    expect(list[0]?.labels.namespace).toBe(space.namespace);
  });
});
