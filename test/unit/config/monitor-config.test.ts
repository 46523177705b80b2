import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { isCalendarDate } from '../../../src/calendar/calendar-date.ts';
import { ConfigError } from '../../../src/config/env.ts';
import { EVENT_FORMAT_NAMES } from '../../../src/config/formats/index.ts';
import { asConfigFile, loadMonitorConfig, parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { REPO_ROOT } from '../../../stack/services.ts';

const problems = (input: unknown): string[] => {
  try {
    parseMonitorConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('strict monitor configuration', () => {
  it('names each unknown key, with the nearest valid key where one is near', () => {
    expect(problems({ thresholds: { minDailyEvent: 10 }, tresholds: {}, colour: 'red' })).toEqual([
      'config: thresholds.minDailyEvent: unknown key (did you mean "minDailyEvents"?)',
      'config: tresholds: unknown key (did you mean "thresholds"?)',
      'config: colour: unknown key',
    ]);
    expect(problems({ overrides: [{ weekdays: [0], thresholds: { maxNullClientRat: 0.1 } }] })).toEqual([
      'config: overrides.0.thresholds.maxNullClientRat: unknown key (did you mean "maxNullClientRate"?)',
    ]);
  });

  it('bounds thresholds and limits', () => {
    const lines = problems({
      thresholds: { minDailyEvents: -1, minDailyRevenue: -5, maxNullClientRate: 2 },
      ingest: { maxMessageBytes: 64 * 1024 * 1024 },
    });
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).toMatch(/thresholds\.minDailyEvents/);
    expect(lines.join('\n')).toMatch(/thresholds\.minDailyRevenue/);
    expect(lines.join('\n')).toMatch(/thresholds\.maxNullClientRate/);
    expect(lines.join('\n')).toMatch(/ingest\.maxMessageBytes/);
    expect(problems({ thresholds: { minDailyEvents: 9000 } })).toEqual([]); // no maximum configured
    expect(problems({ thresholds: { minDailyEvents: 9000, maxDailyEvents: 8000 } })).toEqual([
      'config: thresholds: minDailyEvents must not exceed maxDailyEvents',
    ]);
  });

  it('takes only dates that exist', () => {
    expect(problems({ snoozes: [{ check: 'aov_anomaly', until: '2025-02-30', reason: 'x' }] })).toEqual([
      'config: snoozes.0.until: not a calendar date (YYYY-MM-DD, a day that exists)',
    ]);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2025-13-01')).toBe(false);
    expect(isCalendarDate('2025-3-1')).toBe(false);
  });

  it('names a snooze of a check that does not exist, in the same run as every other problem', () => {
    let lines: string[] = [];
    try {
      parseMonitorConfig(
        {
          thresholds: { minDailyRevenue: -1 },
          snoozes: [{ check: 'aov_anomally', until: '2025-03-01', reason: 'x' }],
        },
        'monitor.yml',
        { checkIds: ['aov_anomaly', 'revenue_anomaly'] },
      );
    } catch (err) {
      lines = (err as ConfigError).problems;
    }
    expect(lines).toHaveLength(2);
    expect(lines).toContain(
      'monitor.yml: snoozes.0.check: no check is called "aov_anomally" (did you mean "aov_anomaly"?)',
    );
  });

  it('takes special days as windows of a kind, one line per problem', () => {
    const sale = { name: 'Black Friday', kind: 'promotion', from: '2025-11-28', to: '2025-12-01' };
    expect(problems({ baseline: { specialDays: [sale] } })).toEqual([]);
    expect(parseMonitorConfig({ baseline: { specialDays: [sale] } }).baseline.specialDays).toEqual([
      { ...sale, judge: 'own_kind' },
    ]);
    expect(
      problems({
        baseline: {
          specialDays: [
            { ...sale, from: '2025-12-02' },
            { ...sale, kind: 'Promotion!' },
            { ...sale, judge: 'ignore' },
            { ...sale, form: '2025-11-28' },
          ],
        },
      }),
    ).toEqual([
      'config: baseline.specialDays.0: need from <= to',
      'config: baseline.specialDays.1.kind: lower-case letters, digits, "_" and "-"',
      expect.stringMatching(/^config: baseline\.specialDays\.2\.judge: .*"own_kind".*"skip"/),
      'config: baseline.specialDays.3.form: unknown key (did you mean "from"?)',
    ]);
  });

  it('accepts the defaults and a valid file as before', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ thresholds: { minDailyEvents: 100 }, snoozes: [] })).toEqual([]);
  });
});

describe('a resolved config as a file (config show)', () => {
  it.each([
    ...EVENT_FORMAT_NAMES.map((format) => [format, parseMonitorConfig({ source: { format } })] as const),
    ['shop config (config/puffy.yaml)', loadMonitorConfig(join(REPO_ROOT, 'config', 'puffy.yaml'))] as const,
    [
      'no event ids, a currency, a mapping override',
      parseMonitorConfig({
        source: {
          format: 'segment',
          currency: 'EUR',
          eventIdWindowHours: 0,
          mapping: {
            fields: { clientId: ['/userId', '/anonymousId'] },
            events: { purchase: ['Order Placed'] },
          },
        },
      }),
    ] as const,
  ])('%s reads back as the same config', (_, config) => {
    expect(parseMonitorConfig(parse(stringify(asConfigFile(config))))).toEqual(config);
  });
});
