import { describe, expect, it } from 'vitest';
import { appendSessionRuns } from '../../../src/aggregation/day-delta.ts';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';

describe('DayResolver', () => {
  it('UTC days', () => {
    const d = new DayResolver('UTC');
    expect(d.dayOf(Date.parse('2025-02-23T23:59:59.999Z'))).toBe('2025-02-23');
    expect(d.dayOf(Date.parse('2025-02-24T00:00:00.000Z'))).toBe('2025-02-24');
  });

  it('days in another zone, across a DST change', () => {
    const d = new DayResolver('America/New_York');
    expect(d.dayOf(Date.parse('2025-02-24T04:59:59.000Z'))).toBe('2025-02-23');
    expect(d.dayOf(Date.parse('2025-02-24T05:00:00.000Z'))).toBe('2025-02-24');
    // after DST starts (2025-03-09) midnight is 04:00Z
    expect(d.dayOf(Date.parse('2025-03-10T03:59:00.000Z'))).toBe('2025-03-09');
    expect(d.dayOf(Date.parse('2025-03-10T04:00:00.000Z'))).toBe('2025-03-10');
    const k = new DayResolver('Asia/Kolkata'); // +05:30
    expect(k.dayOf(Date.parse('2025-02-23T18:29:59.000Z'))).toBe('2025-02-23');
    expect(k.dayOf(Date.parse('2025-02-23T18:30:00.000Z'))).toBe('2025-02-24');
  });

  it('calendar helpers', () => {
    expect(DayResolver.previous('2025-03-01')).toBe('2025-02-28');
    expect(DayResolver.previous('2024-03-01')).toBe('2024-02-29');
    expect(DayResolver.previous('2025-03-08', 7)).toBe('2025-03-01');
    expect(DayResolver.lastDays('2025-03-01', 3)).toEqual(['2025-02-27', '2025-02-28', '2025-03-01']);
    expect(DayResolver.daysBetween('2025-02-23', '2025-03-08')).toBe(13);
    expect(DayResolver.daysBetween('2025-03-08', '2025-02-23')).toBe(-13);
    expect(DayResolver.daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(DayResolver.weekday('2025-02-23')).toBe(0);
    expect(new DayResolver('UTC').yesterday(Date.parse('2025-03-09T06:30:00Z'))).toBe('2025-03-08');
  });
});

describe("a batch's session runs per client", () => {
  const MIN = 60_000;
  it('sorts what arrived out of order and cuts where the gap is exceeded', () => {
    const out: number[] = [];
    // 10:00 page, 10:05 add, 09:58 page (late), 11:00 page: runs 09:58–10:05 (2 pages) and 11:00 (1)
    const t = (h: number, m: number) => Date.UTC(2025, 2, 1, h, m);
    appendSessionRuns(out, [t(10, 0), 1, t(10, 5), 0, t(9, 58), 1, t(11, 0), 1], 30 * MIN);
    appendSessionRuns(out, [t(12, 0), 0], 30 * MIN);
    expect(out).toEqual([2, t(9, 58), t(10, 5), 2, t(11, 0), t(11, 0), 1, 1, t(12, 0), t(12, 0), 0]);
  });
});
