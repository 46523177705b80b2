/**
 * The replay CLI on awkward exports: a gzip file, a header without some
 * columns, empty cells, a row whose timestamp does not parse, and broken rows
 * that are reported with file and line while the good rows still go out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/monitor-process.ts';
import { kafka, readTopic, type TestSpace, testSpace } from '../helpers/stack.ts';

// kafkajs's ESM face does not export ConfigResourceTypes (its index spreads the errors object)
const TOPIC_RESOURCE = 2 as ConfigResourceTypes; // ConfigResourceTypes.TOPIC

let space: TestSpace;
let dir: string;
let result: { code: number | null; output: string };
let records: Awaited<ReturnType<typeof readTopic>>;

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
  dir = mkdtempSync(join(tmpdir(), 'em-replay-'));
  writeFileSync(
    join(dir, 'day1.csv'),
    [
      'client_id,page_url,referrer,timestamp,event_name,event_data,user_agent',
      'c1,https://puffy.com/,,2025-03-01T10:00:00.000Z,page_viewed,,ua',
      'c2,https://puffy.com/,https://google.com/,not a time,page_viewed,,ua',
      'c3,https://puffy.com/,,2025-03-01T10:02:00.000Z,checkout_completed,"{""transaction_id"":""T1"",""revenue"":10}",ua',
      'c4,too,few,columns',
      'c5,https://puffy.com/,,2025-03-01T10:03:00.000Z,page_viewed,,"ua with ""quotes"" inside"',
      '',
    ].join('\n'),
  );
  // a later export: the referrer column gone, client id renamed, gzipped
  writeFileSync(
    join(dir, 'day2.csv.gz'),
    gzipSync(
      [
        'clientId,page_url,timestamp,event_name,event_data,user_agent',
        ',https://puffy.com/,2025-03-02T09:00:00.000Z,page_viewed,,ua',
        '',
      ].join('\n'),
    ),
  );
  result = await runCli(['replay', dir], space.env);
  records = await readTopic(space.topic, 5);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await space.cleanup();
});

describe('replay', () => {
  it('names the file and line of a broken row, sends the good rows, counts the skipped one', () => {
    expect(result.output).toMatch(/day1\.csv line 5: row skipped/);
    expect(result.output).toContain('sent 5 events from 2 files');
    expect(result.output).toContain('skipped 1 unreadable rows');
    expect(result.code).toBe(3);
    expect(records).toHaveLength(5);
  });

  it('keeps the header names, leaves absent columns absent and empty cells null', () => {
    const values = records.map((r) => JSON.parse(r.value!.toString()) as Record<string, unknown>);
    const gz = values.find((v) => v.timestamp === '2025-03-02T09:00:00.000Z')!;
    expect(Object.keys(gz).sort()).toEqual([
      'clientId',
      'event_data',
      'event_name',
      'page_url',
      'timestamp',
      'user_agent',
    ]);
    expect(gz.clientId).toBeNull();
    const c1 = values.find((v) => v.client_id === 'c1')!;
    expect(c1.referrer).toBeNull();
    expect(values.find((v) => v.client_id === 'c3')!.event_data).toBe('{"transaction_id":"T1","revenue":10}');
    expect(values.find((v) => v.client_id === 'c5')!.user_agent).toBe('ua with "quotes" inside');
  });

  it('says nothing about retention on a topic that keeps records', () => {
    expect(result.output).not.toContain('warning');
  });

  it('warns when the topic would delete the replayed rows at its next retention check', async () => {
    const short = await testSpace(`${import.meta.filename}-retention`);
    try {
      const admin = kafka().admin();
      await admin.connect();
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: short.topic,
            configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }],
          },
        ],
      });
      await admin.disconnect();
      const run = await runCli(['replay', join(dir, 'day2.csv.gz')], short.env);
      expect(run.code).toBe(0);
      expect(run.output).toMatch(/warning: .* keeps records for 168 h but the oldest row is \d+ days old/);
      expect(run.output).toContain('retention.ms=-1');
    } finally {
      await short.cleanup();
    }
  });

  it('keys by client id and stamps each record with its event time (or the last good one before it)', async () => {
    const byKey = new Map(records.map((r) => [r.key?.toString() ?? null, r]));
    expect([...byKey.keys()].filter(Boolean).sort()).toEqual(['c1', 'c2', 'c3', 'c5']);
    const withTimes = await readTopicWithTimestamps();
    expect(withTimes.get('c2')).toBe(Date.parse('2025-03-01T10:00:00.000Z')); // "not a time" takes c1's
    expect(withTimes.get('c3')).toBe(Date.parse('2025-03-01T10:02:00.000Z'));
  });
});

async function readTopicWithTimestamps(): Promise<Map<string, number>> {
  const consumer = kafka().consumer({ groupId: `ts-${space.namespace}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [space.topic], fromBeginning: true });
  const out = new Map<string, number>();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.set(message.key?.toString() ?? '', Number(message.timestamp));
        if (out.size >= 5) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}
