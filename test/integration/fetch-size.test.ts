/**
 * The fetch size bounds memory, never the largest message: record batches
 * larger than the fetch size per partition and than a whole fetch reach the
 * consumer whole (the broker returns the first batch of a fetch whatever its
 * size), so every message is accepted or rejected with its reason, none
 * skipped. Here the fetch is 64 KiB per partition and 1 MiB in all, against
 * record batches of 1.8 MiB and a 3 MiB message.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const r = redis();
let space: TestSpace;

const event = (i: number, pad = 0): Message => ({
  key: 'one-client', // one partition: the batches stay as produced
  value: JSON.stringify({
    client_id: 'one-client',
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: `${DAY}T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
    event_name: 'page_viewed',
    event_data: pad ? JSON.stringify({ note: 'x'.repeat(pad) }) : null,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
  }),
});

let output = '';
beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 1 });
  // one record batch of two 900 KB events and ten small ones (1.8 MiB), a 3 MiB message
  // (over ingest.maxMessageBytes: rejected as too_large), then ten small events
  await produce(space.topic, [
    event(0, 900_000),
    event(1, 900_000),
    ...Array.from({ length: 10 }, (_, i) => event(i + 2)),
  ]);
  await produce(space.topic, [{ key: 'one-client', value: `{"pad":"${'y'.repeat(3 * 1024 * 1024)}"}` }]);
  await produce(
    space.topic,
    Array.from({ length: 10 }, (_, i) => event(i + 20)),
  );
  const run = await runCli(['consume', '--exit-when-idle', '3'], {
    ...space.env,
    KAFKA_MAX_BYTES_PER_PARTITION: String(64 * 1024),
    KAFKA_MAX_BYTES: String(1024 * 1024),
  });
  output = run.output;
  expect(run.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await space.cleanup();
});

describe('record batches larger than the fetch size', () => {
  it('are consumed whole: every event accepted, the oversized message rejected with its reason', async () => {
    const day = await new MonitorState(r, space.namespace).days.read(DAY);
    expect(day.counters.events).toBe(22);
    const file = join(mkdtempSync(join(tmpdir(), 'em-fetch-')), 'summary.json');
    expect((await runCli(['dlq', 'summary', '--json', file], space.env)).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).by_reason).toEqual({ too_large: 1 });
    expect(output).not.toContain('"level":"error"');
  });
});
