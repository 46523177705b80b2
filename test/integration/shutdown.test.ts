/**
 * Stopping cleanly when things are stuck: SIGTERM during a batch that is
 * being retried ends the retry's backoff at once, and a process that could
 * not clean up (SIGKILL) leaves no scrape target behind for long.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerScrapeTarget } from '../../src/metrics/scrape-target.ts';
import { eventually, startMonitor } from '../helpers/monitor-process.ts';
import { produce, type TestSpace, testSpace } from '../helpers/stack.ts';

let space: TestSpace;
beforeAll(async () => {
  space = await testSpace(import.meta.filename);
}, 60_000);
afterAll(async () => {
  await space.cleanup();
});

describe('SIGTERM while a batch is being retried', () => {
  it('cuts the backoff short, leaves the batch uncommitted and exits 0', async () => {
    await produce(space.topic, [
      {
        value: JSON.stringify({
          client_id: 'c',
          timestamp: '2025-03-01T10:00:00Z',
          event_name: 'page_viewed',
        }),
      },
    ]);
    // Redis unreachable: the batch is retried with a growing backoff
    const p = startMonitor(['consume'], { ...space.env, REDIS_URL: 'redis://127.0.0.1:1' });
    const retries = () => [...p.output().matchAll(/"retryInMs":(\d+).*batch not applied; retrying/g)];
    // a retry due in a second or more: the backoff is under way when SIGTERM arrives
    await eventually(
      async () => retries().at(-1)?.[1],
      (ms) => Number(ms) >= 1000,
      60_000,
    );
    p.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain(
      'stopping: the batch being retried is left uncommitted for the next consumer',
    );
  }, 90_000);
});

describe('scrape targets of killed processes', () => {
  it('are removed by the next process to register, and live ones are kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'em-targets-'));
    // a pid that surely ran and is gone: a child that has exited
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    const stale = join(dir, `monitor-shop-${gone}.json`);
    const live = join(dir, `monitor-shop-${process.ppid}.json`);
    writeFileSync(stale, '[]');
    writeFileSync(live, '[]');
    const previous = process.env.PROMETHEUS_FILE_SD_DIR;
    process.env.PROMETHEUS_FILE_SD_DIR = dir;
    try {
      const target = registerScrapeTarget(9999, 'shop');
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(live)).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(
        [`monitor-shop-${process.pid}.json`, `monitor-shop-${process.ppid}.json`].sort(),
      );
      target?.remove();
    } finally {
      if (previous === undefined) delete process.env.PROMETHEUS_FILE_SD_DIR;
      else process.env.PROMETHEUS_FILE_SD_DIR = previous;
    }
  });
});
