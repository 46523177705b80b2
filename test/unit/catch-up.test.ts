import { describe, expect, it } from 'vitest';
import { missedCloseouts } from '../../src/closeout/catch-up.ts';

const today = '2025-03-10';
const at = (lastClosed: string | null, todaysRunPassed: boolean, stateTtlDays = 35) =>
  missedCloseouts({ lastClosed, today, todaysRunPassed, stateTtlDays });

describe('close-outs missed while the scheduler was down', () => {
  it('are every day after the last closed one, oldest first, yesterday once its run time has come', () => {
    expect(at('2025-03-06', true)).toEqual(['2025-03-07', '2025-03-08', '2025-03-09']);
    expect(at('2025-03-06', false)).toEqual(['2025-03-07', '2025-03-08']);
  });

  it('are none when yesterday is closed, or when nothing was ever closed (the schedule makes the first)', () => {
    expect(at('2025-03-09', true)).toEqual([]);
    expect(at('2025-03-08', false)).toEqual([]);
    expect(at(null, true)).toEqual([]);
  });

  it('go no further back than the state is kept', () => {
    expect(at('2025-01-01', true, 5)).toEqual(['2025-03-06', '2025-03-07', '2025-03-08', '2025-03-09']);
  });
});
