/**
 * Hostile input, round two: what a sender chooses (header names and values,
 * event and field names, sizes, compression, timestamps) never stalls a
 * partition. Produced as outside producers do (kcat; kafkajs with gzip) into
 * the real broker, consumed by the real CLI into the real Redis: the consumer
 * reaches idle with accepted + dead-lettered = produced, each dead letter
 * written once, and no `apply_error`.
 *
 * The generative part draws corpora with fast-check (fixed seed, bounded count
 * here; `npm run fuzz:hostile` runs it longer).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CompressionTypes, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../src/source/dead-letter.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { env, kafka, produce, readTopic, type TestSpace, testSpace } from '../helpers/stack.ts';

const TS = '2025-03-01T10:00:00.000Z';
const event = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    client_id: `c-${randomBytes(3).toString('hex')}`,
    page_url: 'https://shop.example/',
    referrer: null,
    timestamp: TS,
    event_name: 'page_viewed',
    event_data: null,
    user_agent: 'ua',
    ...over,
  });
/** Names a plain object inherits: as event names, field names and header names. */
const BUILT_IN_NAMES = Object.getOwnPropertyNames(Object.prototype);
/** The dead-letter topic's limit in this file: small, so that a record can be too large for it. */
const DLQ_LIMIT = 2 * 1024 * 1024;
const GENERATIVE_RUNS = Number(process.env.HOSTILE_RUNS ?? 20);
const GENERATIVE_SEED = Number(process.env.HOSTILE_SEED ?? 20261203);

let space: TestSpace;
let monitor: MonitorProcess;
let port: number;
/** Messages produced so far: the consumer's settled count must reach it. */
let produced = 0;

async function settled() {
  const text = await scrape(port);
  return {
    consumed: metricValue(text, 'em_messages_consumed_total'),
    accepted: metricValue(text, 'em_events_accepted_total'),
    rejected: metricValue(text, 'em_messages_rejected_total'),
    deadLettered: metricValue(text, 'em_dead_letter_records_total'),
    applyErrors: metricValue(text, 'em_messages_rejected_total', { reason: 'apply_error' }),
    poison: metricValue(text, 'em_poison_isolations_total'),
    ownErrors:
      metricValue(text, 'em_errors_total', { system: 'other' }) +
      metricValue(text, 'em_errors_total', { system: 'message' }) +
      metricValue(text, 'em_errors_total', { system: 'dead_letter' }),
    byReason: (reason: string) => metricValue(text, 'em_messages_rejected_total', { reason }),
  };
}

/** Until the consumer settled every message produced so far (bounded by what was produced). */
async function idle() {
  const explain = (err: Error) => {
    throw new Error(`${err.message}\nconsumer output (tail):\n${monitor.output().slice(-4000)}`);
  };
  return eventually(settled, (s) => s.consumed === produced, 120_000).catch(explain);
}

async function produceWith(messages: Message[], compression = CompressionTypes.None) {
  await produce(space.topic, messages, { compression });
  produced += messages.length;
}

/** One message through kcat, as an outside producer writes it; `headers` as kcat's -H takes them. */
function kcat(value: string, headers: string[]) {
  const run = spawnSync(
    'kcat',
    ['-P', '-b', env.KAFKA_BROKERS, '-t', space.topic, '-k', 'kcat', ...headers.flatMap((h) => ['-H', h])],
    { input: value, encoding: 'utf8', timeout: 30_000 },
  );
  if (run.status !== 0) throw new Error(`kcat failed: ${run.stderr}`);
  produced++;
}

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 3 });
  const admin = kafka().admin();
  await admin.connect();
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: 2, // TOPIC
        name: space.dlq,
        configEntries: [{ name: 'max.message.bytes', value: String(DLQ_LIMIT) }],
      },
    ],
  });
  await admin.disconnect();
  // the guard would hold a corpus that is mostly rejected, by design: here every message must settle
  const config = join(mkdtempSync(join(tmpdir(), 'em-hostile-')), 'monitor.yaml');
  writeFileSync(config, 'ingest:\n  rejectGuard:\n    enabled: false\n');
  monitor = startMonitor(['consume'], { ...space.env, MONITOR_CONFIG_FILE: config });
  port = await metricsPortOf(monitor);
}, 120_000);

afterAll(async () => {
  console.info(`hostile input: ${produced} messages produced and settled`);
  monitor?.kill('SIGTERM');
  await monitor?.exited;
  await space?.cleanup();
});

describe('hostile input, through the real broker and Redis', () => {
  it('a rejected message with a null header or one named after a built-in is dead-lettered, and the events behind it applied', async () => {
    const before = await idle();
    const odd = ['x-null', '__proto__=x', 'constructor=x', 'toString=y'];
    for (const header of odd) {
      kcat('not json', [header]);
      for (let i = 0; i < 5; i++) kcat(event(), [header]);
    }
    const after = await idle();
    expect(after.byReason('not_json') - before.byReason('not_json')).toBe(odd.length);
    expect(after.accepted - before.accepted).toBe(odd.length * 5);
    expect(after.ownErrors).toBe(0);
    const dlq = (await readTopic(space.dlq, after.deadLettered)).filter(
      (r) => r.headers[DLQ_HEADERS.reason] === 'not_json',
    );
    expect(dlq).toHaveLength(odd.length);
    // a null value cannot be copied as it was: every original header is kept in one JSON header
    const withNull = dlq.find((r) => r.headers[DLQ_HEADERS.originalHeaders]?.includes('"x-null",null'));
    expect(withNull).toBeDefined();
    // a header named after a built-in is the sender's value, kept beside the inherited member kafkajs adds
    const builtIn = dlq.find((r) => r.headers[DLQ_HEADERS.originalHeaders]?.includes('"toString","eQ=="'));
    expect(builtIn?.value?.toString()).toBe('not json');
  }, 120_000);

  it('too-large messages that arrived gzip-compressed are dead-lettered in batches the topic takes; one too large for any batch as its coordinates', async () => {
    const before = await idle();
    const big = (i: number) => event({ pad: `${i}`.padEnd(1.2 * 1024 * 1024, 'x') });
    const messages: Message[] = [];
    for (let i = 0; i < 20; i++) messages.push({ key: 'one-key', value: big(i) });
    // incompressible, larger than the dead-letter topic takes even gzip'd
    messages.push({ key: 'one-key', value: randomBytes(3 * 1024 * 1024) });
    for (let i = 0; i < 200; i++) messages.push({ key: 'one-key', value: event() });
    await produceWith(messages, CompressionTypes.GZIP);
    const after = await idle();
    expect(after.byReason('too_large') - before.byReason('too_large')).toBe(21);
    expect(after.accepted - before.accepted).toBe(200);
    expect(after.ownErrors).toBe(0);
    const dlq = (await readTopic(space.dlq, after.deadLettered)).filter(
      (r) => r.headers[DLQ_HEADERS.reason] === 'too_large',
    );
    expect(dlq).toHaveLength(21);
    const omitted = dlq.filter((r) => r.headers[DLQ_HEADERS.valueOmitted] !== undefined);
    expect(omitted).toHaveLength(1);
    expect(omitted[0]!.value).toBeNull();
    expect(omitted[0]!.headers[DLQ_HEADERS.offset]).toMatch(/^\d+$/);
    expect(dlq.filter((r) => r.value !== null).every((r) => r.value!.length > 1024 * 1024)).toBe(true);
  }, 120_000);

  it('events and fields named after JavaScript built-ins are accepted like any other, with no apply_error', async () => {
    const before = await idle();
    const messages = BUILT_IN_NAMES.flatMap((name) => [
      { key: name, value: event({ event_name: name }) },
      { key: name, value: `{${JSON.stringify(name)}: 1, ${event().slice(1)}` },
    ]);
    await produceWith(messages);
    const after = await idle();
    expect(after.accepted - before.accepted).toBe(messages.length);
    expect(after.applyErrors).toBe(0);
    expect(after.poison).toBe(0);
    expect(after.ownErrors).toBe(0);
  }, 120_000);

  it('timestamps no day could name, or older than ingest.maxPastDays, are rejected as timestamp_out_of_range', async () => {
    const before = await idle();
    const stamps = ['9999-12-31T23:59:59-14:00', '0000-01-01T00:00:00+01:00', '1970-01-01T00:00:00Z'];
    await produceWith(stamps.map((timestamp) => ({ value: event({ timestamp }) })));
    const after = await idle();
    expect(after.byReason('timestamp_out_of_range') - before.byReason('timestamp_out_of_range')).toBe(3);
    expect(after.accepted).toBe(before.accepted);
  }, 60_000);
});

/** A header name a sender may choose: a built-in, one of ours, or any text. */
const headerName = fc.oneof(
  fc.constantFrom(...BUILT_IN_NAMES, DLQ_HEADERS.reason, DLQ_HEADERS.offset),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);
const headerValue = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constant('y'.repeat(100_000)) },
);
const name = fc.oneof(fc.constantFrom(...BUILT_IN_NAMES), fc.string({ unit: 'binary', maxLength: 30 }));
const timestamp = fc.oneof(
  fc.constant(TS),
  fc
    .date({ min: new Date('2025-02-20'), max: new Date('2025-03-10'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom('9999-12-31T23:59:59-14:00', '0000-01-01T00:00:00+01:00', '1970-01-01T00:00:00Z', 'soon'),
);
const value = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ name, field: name, timestamp })
      .map(
        (e) =>
          `{${JSON.stringify(e.field)}: 1, ${event({ event_name: e.name, timestamp: e.timestamp }).slice(1)}`,
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{"timestamp":', `{"timestamp":"${TS}"}`) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => event({ pad: 'x'.repeat(1024 * 1024 + d * 100) })),
  },
);
const corpus = fc.record({
  compressed: fc.boolean(),
  messages: fc.array(
    fc.record({
      key: fc.option(name, { nil: null }),
      value,
      headers: fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
    }),
    { minLength: 1, maxLength: 40 },
  ),
});

describe('generative: any corpus of hostile messages', () => {
  it(
    `reaches idle with accepted + dead-lettered = produced, each dead letter once, no apply_error (${GENERATIVE_RUNS} corpora, seed ${GENERATIVE_SEED})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(corpus, async ({ compressed, messages }) => {
          const before = await idle();
          await produceWith(
            messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
            compressed ? CompressionTypes.GZIP : CompressionTypes.None,
          );
          const after = await idle();
          expect(after.accepted - before.accepted + (after.rejected - before.rejected)).toBe(messages.length);
          expect(after.deadLettered - before.deadLettered).toBe(after.rejected - before.rejected);
          expect(after.applyErrors).toBe(0);
          expect(after.ownErrors).toBe(0);
        }),
        { numRuns: GENERATIVE_RUNS, seed: GENERATIVE_SEED, endOnFailure: true },
      );
      // every dead letter is in the topic once: one record per source offset
      const { deadLettered } = await idle();
      const admin = kafka().admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(space.dlq);
      await admin.disconnect();
      expect(ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)).toBe(deadLettered);
      const records = await readTopic(space.dlq, deadLettered, 120_000);
      const sources = new Set(
        records.map((r) => `${r.headers[DLQ_HEADERS.partition]}/${r.headers[DLQ_HEADERS.offset]}`),
      );
      expect(sources.size).toBe(records.length);
    },
    Math.max(120_000, GENERATIVE_RUNS * 20_000),
  );
});
