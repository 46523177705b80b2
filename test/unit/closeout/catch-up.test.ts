import { describe, expect, it } from 'vitest';
import { missedCloseouts } from '../../../src/closeout/catch-up.ts';

const today = '2025-03-10';
const at = (lastClosed: string | null, todaysRunPassed: boolean, maxDays = 7) =>
  missedCloseouts({ lastClosed, today, todaysRunPassed, maxDays });

describe('close-outs missed while the scheduler was down', () => {
  it('are every day after the last closed one, oldest first, yesterday once its run time has come', () => {
    expect(at('2025-03-06', true).days).toEqual(['2025-03-07', '2025-03-08', '2025-03-09']);
    expect(at('2025-03-06', false).days).toEqual(['2025-03-07', '2025-03-08']);
  });

  it('are none when yesterday is closed, or when nothing was ever closed (the schedule makes the first)', () => {
    expect(at('2025-03-09', true)).toEqual({ days: [], tooFarBack: false });
    expect(at('2025-03-08', false)).toEqual({ days: [], tooFarBack: false });
    expect(at(null, true)).toEqual({ days: [], tooFarBack: false });
  });

  it('are none, and said so, when the last close-out is further back than a restart explains', () => {
    expect(at('2025-03-02', true, 7)).toEqual({
      days: [
        '2025-03-03',
        '2025-03-04',
        '2025-03-05',
        '2025-03-06',
        '2025-03-07',
        '2025-03-08',
        '2025-03-09',
      ],
      tooFarBack: false,
    });
    expect(at('2025-03-01', true, 7)).toEqual({ days: [], tooFarBack: true });
    expect(at('2024-01-01', true, 7)).toEqual({ days: [], tooFarBack: true });
  });
});
