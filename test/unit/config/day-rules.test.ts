import { describe, expect, it } from 'vitest';
import {
  intradayRulesFor,
  overridesLine,
  overridesOn,
  thresholdsFor,
} from '../../../src/config/day-rules.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';

const config = parseMonitorConfig({
  thresholds: { minDailyConversions: 10, maxDailyEvents: 8000 },
  intraday: { volume: { criticalP: 1e-7 } },
  overrides: [
    { weekdays: [0, 6], reason: 'weekends', thresholds: { minDailyConversions: 5 } },
    {
      from: '2025-11-28',
      to: '2025-12-01',
      reason: 'Black Friday',
      thresholds: { maxDailyEvents: 50_000 },
      intraday: { volume: { criticalDrop: 0.3 }, silence: { floorMinutes: 5 } },
    },
    { from: '2025-12-01', reason: 'new collector', intraday: { silence: { floorMinutes: 3 } } },
  ],
});
const defaults = parseMonitorConfig({});

describe('the rules of a day', () => {
  it('applies weekday and date-range overrides to thresholds, later ones winning', () => {
    expect(thresholdsFor('2025-03-08', config).minDailyConversions).toBe(5); // Saturday
    expect(thresholdsFor('2025-03-05', config).minDailyConversions).toBe(10); // Wednesday
    expect(thresholdsFor('2025-11-29', config)).toMatchObject({
      minDailyConversions: 5,
      maxDailyEvents: 50_000,
    });
    expect(thresholdsFor('2025-12-02', config).maxDailyEvents).toBe(8000);
    expect(overridesOn('2025-11-29', config.overrides).map((o) => o.reason)).toEqual([
      'weekends',
      'Black Friday',
    ]);
  });

  it('changes only the intraday parameters an override names, keeping the configured and default ones', () => {
    expect(intradayRulesFor('2025-03-05', config)).toEqual(config.intraday);
    const friday = intradayRulesFor('2025-11-28', config);
    expect(friday.volume).toEqual({ ...config.intraday.volume, criticalDrop: 0.3 });
    expect(friday.volume.criticalP).toBe(1e-7);
    expect(friday.silence).toEqual({ ...defaults.intraday.silence, floorMinutes: 5 });
    expect(friday.nullClient).toEqual(defaults.intraday.nullClient);
    // both overrides match on 12-01: the later one's floor wins
    expect(intradayRulesFor('2025-12-01', config).silence.floorMinutes).toBe(3);
    expect(intradayRulesFor('2025-12-01', config).volume.criticalDrop).toBe(0.3);
    // the configured rules are not changed by reading a day's
    expect(config.intraday.silence.floorMinutes).toBe(defaults.intraday.silence.floorMinutes);
  });

  it('names the overrides of a day as the reports say them', () => {
    expect(overridesLine(overridesOn('2025-11-29', config.overrides))).toBe(
      'Overrides in effect: weekends (minDailyConversions 5); Black Friday (maxDailyEvents 50000, intraday.volume.criticalDrop 0.3, intraday.silence.floorMinutes 5)',
    );
  });

  it("rejects an override's bad intraday parameter with one line each, naming the nearest key", () => {
    const problems = () =>
      parseMonitorConfig({
        overrides: [
          { weekdays: [1], intraday: { volume: { criticalp: 1e-5 } } },
          { weekdays: [2], intraday: { nullClient: { p: 2 } }, thresholds: { maxNullClientRate: -1 } },
        ],
      });
    expect(problems).toThrowError(
      /^config: overrides\.0\.intraday\.volume\.criticalp: unknown key \(did you mean "criticalP"\?\)$/m,
    );
    expect(problems).toThrowError(/^config: overrides\.1\.intraday\.nullClient\.p: Too big/m);
    expect(problems).toThrowError(/^config: overrides\.1\.thresholds\.maxNullClientRate: Too small/m);
  });
});
