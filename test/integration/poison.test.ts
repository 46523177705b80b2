/**
 * Hostile input through the real topic. The consumer never crashes, every
 * message ends accepted or rejected, and the dead-letter topic holds every
 * rejected one with its reason.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../../src/outcome.ts';
import { DLQ_HEADERS } from '../../src/source/dead-letter.ts';
import {
  eventually,
  metricsPortOf,
  metricValue,
  runCli,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { env, produce, readTopic, type TestSpace, testSpace } from '../helpers/stack.ts';

const TS = '2025-03-01T10:00:00.000Z';
const base = {
  client_id: 'c-1',
  page_url: 'https://puffy.com/',
  referrer: null,
  timestamp: TS,
  event_name: 'page_viewed',
  event_data: null,
  user_agent: 'ua',
};
const msg = (value: Buffer | string | null): Message => ({
  key: 'poison',
  value,
  timestamp: String(Date.parse(TS)),
});
const json = (over: Record<string, unknown>) => msg(JSON.stringify({ ...base, ...over }));
const purchase = (revenue: unknown) =>
  json({ event_name: 'checkout_completed', event_data: `{"transaction_id":"T","revenue":${revenue}}` });

let space: TestSpace;
let metrics = '';
let exitCode: number | null = null;
let produced = 0;
let dlq: Awaited<ReturnType<typeof readTopic>> = [];

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
  const registry = new SchemaRegistry({ host: env.SCHEMA_REGISTRY_URL });
  const { id } = await registry.register(
    {
      type: SchemaType.AVRO,
      schema: JSON.stringify({
        type: 'record',
        name: 'Poison',
        namespace: `p.${space.namespace.replace(/-/g, '_')}`,
        fields: [
          { name: 'timestamp', type: 'string' },
          { name: 'client_id', type: ['null', 'string'], default: null },
        ],
      }),
    },
    { subject: `${space.topic}-value` },
  );
  const avro = await registry.encode(id, { timestamp: TS, client_id: 'c-avro' });
  const weird = 'ünï\u0000\u0007\u202e𝔘\ud83d\ude00\r\n\t"\\';
  const corpus: Message[] = [
    msg(null),
    msg(''),
    msg(Buffer.from([0xc3, 0x28, 0xa0, 0xa1])),
    msg('{"timestamp": "2025-03-01T10:00:00Z", "client_id": "c'),
    msg('[1,2,3]'),
    msg('"just a string"'),
    msg('42'),
    msg('true'),
    msg('null'),
    msg(JSON.stringify({ ...base, pad: 'x'.repeat(10 * 1024 * 1024) })),
    msg(`{"timestamp":"${TS}","deep":${'['.repeat(50_000)}${']'.repeat(50_000)}}`),
    json({ event_data: `${'['.repeat(100_000)}${']'.repeat(100_000)}` }),
    msg(Buffer.concat([Buffer.from([0, 0x7f, 0x00, 0x00, 0x01]), Buffer.from('payload')])),
    msg(Buffer.from([0, 0, 0, 1])), // wire format cut inside its header
    msg(JSON.stringify({ client_id: 'c-no-ts', event_name: 'page_viewed' })),
    msg(avro.subarray(0, avro.length - 3)),
    msg(avro),
    purchase('"12.50"'),
    purchase('NaN'),
    purchase('-5'),
    purchase('1e308'),
    msg(`{"timestamp":"${TS}","event_name":"checkout_completed","event_data":{"revenue":NaN}}`),
    json({ timestamp: '1970-01-01T00:00:00.000Z' }),
    json({ timestamp: '2999-12-31T23:59:59.000Z' }),
    json({
      client_id: weird,
      page_url: weird,
      referrer: weird,
      event_name: weird,
      event_data: weird,
      user_agent: weird,
    }),
    msg(
      `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"timestamp":"${TS}","client_id":"c-proto"}`,
    ),
    json({ timestamp: { $date: TS } }),
  ];
  produced = corpus.length;
  await produce(space.topic, corpus);

  const monitor = startMonitor(['consume'], space.env);
  const port = await metricsPortOf(monitor);
  metrics = await eventually(
    () => scrape(port),
    (text) => metricValue(text, 'em_messages_consumed_total') === produced,
    90_000,
  );
  const alive = monitor.child.exitCode === null;
  monitor.kill('SIGTERM');
  exitCode = alive ? await monitor.exited : -1;
  dlq = await readTopic(space.dlq, metricValue(metrics, 'em_messages_rejected_total'), 60_000);
}, 240_000);
afterAll(async () => space.cleanup());

describe('poison input', () => {
  it('never crashes the consumer: it was alive at the end and exits 0 on SIGTERM', () => {
    expect(exitCode).toBe(0);
  });

  it('settles every message: accepted + rejected = produced', () => {
    const accepted = metricValue(metrics, 'em_events_accepted_total');
    const rejected = metricValue(metrics, 'em_messages_rejected_total');
    expect(accepted + rejected).toBe(produced);
    expect(rejected).toBeGreaterThanOrEqual(12);
  });

  it('rejects for the right reasons', () => {
    const r = (reason: string) => metricValue(metrics, 'em_messages_rejected_total', { reason });
    expect(r('empty')).toBe(2);
    expect(r('not_utf8')).toBe(1);
    expect(r('not_json')).toBe(2); // truncated JSON, and a bare NaN
    expect(r('not_object')).toBe(5);
    expect(r('too_large')).toBe(1);
    expect(r('unknown_schema')).toBe(1);
    expect(r('decode_error')).toBe(1);
    expect(r('timestamp_invalid')).toBe(1);
    expect(r('bad_framing')).toBe(1);
    expect(r('timestamp_missing')).toBe(1);
    expect(r('timestamp_out_of_range')).toBe(1); // 1970: older than ingest.maxPastDays
  });

  it('dlq summary counts each reason exactly as the consumer rejected it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'em-poison-')), 'summary.json');
    expect((await runCli(['dlq', 'summary', '--json', file], space.env)).code).toBe(0);
    const summary = JSON.parse(readFileSync(file, 'utf8'));
    const byReason: Record<string, number> = {};
    for (const reason of REJECT_REASONS) {
      const n = metricValue(metrics, 'em_messages_rejected_total', { reason });
      if (n > 0) byReason[reason] = n;
    }
    expect(Object.keys(byReason)).toHaveLength(11); // all but contract_violation and apply_error (dlq.test.ts)
    expect(summary.by_reason).toEqual(byReason);
    expect(summary.total).toBe(metricValue(metrics, 'em_messages_rejected_total'));
  });

  it('puts every rejected message on the dead-letter topic with its reason, the 10 MB one included', () => {
    expect(dlq).toHaveLength(metricValue(metrics, 'em_messages_rejected_total'));
    for (const record of dlq) expect(record.headers[DLQ_HEADERS.reason]).toBeTruthy();
    const large = dlq.find((d) => d.headers[DLQ_HEADERS.reason] === 'too_large');
    expect(large?.value?.length).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('tallies field problems instead of crashing on odd values', () => {
    const p = (kind: string) => metricValue(metrics, 'em_field_problems_total', { kind });
    expect(p('revenue_invalid')).toBe(2); // "12.50" and 1e308
    expect(p('revenue_negative')).toBe(1);
    expect(p('event_data_invalid_json')).toBeGreaterThanOrEqual(1);
    expect(p('timestamp_future')).toBe(1);
    expect(p('event_name_unknown')).toBeGreaterThanOrEqual(1);
  });

  it('keeps control characters and prototype keys out of labels', () => {
    expect(metrics).not.toContain('polluted');
    expect(metrics).not.toContain('\u202e');
    expect(metrics).not.toContain('c-proto');
  });
});
