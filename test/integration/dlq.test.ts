/**
 * `dlq summary` through the real broker: the consumer dead-letters what it
 * rejects; the summary counts it by reason, day and source partition, counts
 * a dead letter written twice once, and prints no value.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchProcessor } from '../../src/ingest/batch-processor.ts';
import { KafkaDeadLetterSink } from '../../src/source/dead-letter.ts';
import { MessageDecoder } from '../../src/source/decode.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { LeakyValidator } from '../helpers/leaky-validator.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { kafka, produce, readTopic, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const TS = Date.parse('2025-03-01T10:00:00.000Z');
const SECRET = 'person@example.com';
const good = (i: number): Message => ({
  key: `c-${i}`,
  value: JSON.stringify({
    client_id: `c-${i}`,
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: new Date(TS).toISOString(),
    event_name: 'page_viewed',
    event_data: null,
    user_agent: 'ua',
  }),
  timestamp: String(TS),
});
const bad = (i: number, value: string | null, day = TS): Message => ({
  key: `c-${i}`,
  value,
  timestamp: String(day),
});
const NEXT_DAY = TS + 86_400_000;
const corpus: Message[] = [
  good(1),
  bad(2, `not json ${SECRET}`),
  bad(3, `{"oops": "${SECRET}"`),
  bad(4, ''),
  good(5),
  bad(6, JSON.stringify({ client_id: SECRET, event_name: 'page_viewed' }), NEXT_DAY), // no timestamp
  bad(7, '[1,2,3]'),
  good(8),
  // the plan rejects event names it lacks
  bad(
    9,
    JSON.stringify({ client_id: 'c-9', timestamp: new Date(TS).toISOString(), event_name: 'coupon_applied' }),
  ),
];
const EXPECTED = {
  not_json: 2,
  empty: 1,
  timestamp_missing: 1,
  not_object: 1,
  contract_violation: 1,
  apply_error: 1,
};
const PLAN = 'unplannedEvents: reject\nevents:\n  page_viewed:\n    schema: { type: object }\n';

const dir = mkdtempSync(join(tmpdir(), 'em-dlq-'));
let space: TestSpace;

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 2 });
  writeFileSync(join(dir, 'plan.yml'), PLAN);
  space.env.TRACKING_PLAN_FILE = join(dir, 'plan.yml');
  await produce(space.topic, corpus);
  expect((await runCli(['consume', '--exit-when-idle', '1'], space.env)).code).toBe(0);
  // a crash between the dead-letter write and the offset commit writes a dead letter again
  const [first] = await readTopic(space.dlq, 1);
  await produce(space.dlq, [{ key: first!.key, value: first!.value, headers: first!.headers }]);
  await deadLetterAnApplyError();
}, 120_000);

/**
 * The state refuses nothing validation lets through, so apply_error comes from
 * fault injection: the real pipeline, real Redis and the real dead-letter sink,
 * with a validator that leaks one unsafe value.
 */
async function deadLetterAnApplyError() {
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const r = redis();
  try {
    const processor = new BatchProcessor({
      namespace: space.namespace,
      decoder: new MessageDecoder(undefined, space.ctx.config.ingest.maxMessageBytes),
      validator: new LeakyValidator(space.ctx.config.ingest),
      days: space.ctx.days,
      state: new MonitorState(r, space.namespace).days,
      channels: space.ctx.config.channels,
      deadLetters: new KafkaDeadLetterSink(producer),
    });
    const poison = JSON.parse(good(100).value as string);
    const batch = [100, 101].map((offset) => ({
      offset: String(offset),
      timestamp: String(TS),
      key: null,
      value: Buffer.from(JSON.stringify(offset === 101 ? { ...poison, event_name: 'poison' } : poison)),
    }));
    expect(await processor.processIsolatingPoison(space.topic, 0, batch)).toMatchObject({ rejected: 1 });
  } finally {
    await producer.disconnect();
    r.disconnect();
  }
}
afterAll(async () => space.cleanup());

describe('dlq summary', () => {
  it('counts the dead letters by reason, day and source partition, a repeat once, and prints no value', async () => {
    const json = join(dir, 'summary.json');
    const run = await runCli(['dlq', 'summary', '--json', json], space.env);
    expect(run.code).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8'));
    expect(s.topic).toBe(space.dlq);
    expect(s.by_reason).toEqual(EXPECTED);
    expect(s.total).toBe(7);
    expect(s.repeats).toBe(1);
    expect(s.by_day).toEqual({ '2025-03-01': 6, '2025-03-02': 1 });
    expect(s.contract_triples).toEqual({ 'coupon_applied /event_name unplanned_event': 1 });
    const partitions = Object.keys(s.by_partition);
    expect(partitions.every((p) => p.startsWith(`${space.topic}/`))).toBe(true);
    expect(Object.values(s.by_partition).reduce((a: number, b) => a + (b as number), 0)).toBe(7);
    expect(s.first_seen).toBe('2025-03-01T10:00:00.000Z');
    expect(s.last_seen).toBe('2025-03-02T10:00:00.000Z');
    for (const out of [run.output, readFileSync(json, 'utf8')]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain('oops');
    }
    expect(run.output).toContain('7 dead letters (1 repeated records counted once)');
  });

  it('writes keys and values only to the file --show-values names, readable by its owner alone', async () => {
    const values = join(dir, 'values.jsonl');
    const run = await runCli(['dlq', 'summary', '--show-values', values], space.env);
    expect(run.code).toBe(0);
    expect(run.output).not.toContain(SECRET);
    expect(run.output).toContain(`keys and values of 8 records written to ${values}`);
    expect(statSync(values).mode & 0o777).toBe(0o600);
    const lines = readFileSync(values, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8); // every record read, the repeat included
    const notJson = lines.find((l) => l.value?.text === `not json ${SECRET}`);
    expect(notJson).toMatchObject({ reason: 'not_json', key: { text: 'c-2' } });
    expect(notJson.source).toMatch(new RegExp(`^${space.topic.replace(/\./g, '\\.')}/[01]/\\d+$`));
    const empty = lines.find((l) => l.reason === 'empty');
    expect(empty.value === null || empty.value.text === '').toBe(true);

    // never to the terminal
    expect((await runCli(['dlq', 'summary', '--show-values', '-'], space.env)).code).toBe(2);
  });

  it('reads from a point in time: nothing written since a moment in the future', async () => {
    const json = join(dir, 'later.json');
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const run = await runCli(['dlq', 'summary', '--from', later, '--json', json], space.env);
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ total: 0, by_reason: {} });
  });

  it('refuses a duration it cannot read, and both --since and --from, with exit 2', async () => {
    expect((await runCli(['dlq', 'summary', '--since', '7 days'], space.env)).code).toBe(2);
    expect(
      (await runCli(['dlq', 'summary', '--since', '1h', '--from', '2025-03-01T00:00:00Z'], space.env)).code,
    ).toBe(2);
  });
});
