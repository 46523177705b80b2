/**
 * A close-out scheduler that was down catches up at start: every day after
 * the last one closed whose scheduled run has passed, and not the day whose
 * run has not come yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayResolver } from '../../src/calendar/day-resolver.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { eventually, runCli, startMonitor } from '../helpers/monitor-process.ts';
import { redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const r = redis();
let space: TestSpace;
const today = new DayResolver('UTC').dayOf(Date.now());
const daysAgo = (n: number) => DayResolver.previous(today, n);

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
}, 60_000);
afterAll(async () => {
  r.disconnect();
  await space.cleanup();
});

describe('closeout --schedule at start', () => {
  it('closes out the days it missed, and leaves yesterday to a run that has not come yet', async () => {
    const state = new MonitorState(r, space.namespace);
    const closed = await runCli(['closeout', '--date', daysAgo(3), '--fail-on', 'never'], space.env);
    expect(closed.code, closed.output).toBe(0);
    // once a year on January 1st: today's run has not come (unless today is that day)
    const pattern = '0 0 1 1 *';
    const scheduler = startMonitor(['closeout', '--schedule', pattern], {
      ...space.env,
      MONITOR_TIMEZONE: 'UTC',
    });
    try {
      await eventually(
        () => state.archive.readSummary(daysAgo(2)),
        (s) => s !== null,
        60_000,
      );
      await eventually(
        async () => scheduler.output(),
        (out) => out.includes('close-out scheduled'),
        60_000,
      );
      expect(scheduler.output()).toContain('catching up close-outs missed while the scheduler was down');
      const yesterdayRunPassed = today.endsWith('-01-01');
      expect((await state.archive.readSummary(daysAgo(1))) !== null).toBe(yesterdayRunPassed);
      expect(await state.archive.recentClosedDays(3)).toEqual(
        yesterdayRunPassed ? [daysAgo(1), daysAgo(2), daysAgo(3)] : [daysAgo(2), daysAgo(3)],
      );
    } finally {
      scheduler.kill('SIGTERM');
      await scheduler.exited;
    }
  }, 120_000);
});
