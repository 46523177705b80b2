/**
 * What the monitor refuses, through the real CLI: sender text that could be
 * personal data in reports, closing out a day that is not over (or does not
 * exist), and a configuration that would not do what was meant.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const DISTINCT = 5_000;
const dir = mkdtempSync(join(tmpdir(), 'em-refusals-'));
const r = redis();
let space: TestSpace;
let state: MonitorState;

const event = (i: number, name: string): Message => ({
  key: `c-${i}`,
  value: JSON.stringify({
    client_id: `c-${i}`,
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: `${DAY}T10:00:00.000Z`,
    event_name: name,
    event_data: null,
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
  }),
});
const utcDay = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
  state = new MonitorState(r, space.namespace);
  const messages: Message[] = [];
  for (let i = 0; i < DISTINCT; i++) messages.push(event(i, `user${i}@example.com`));
  for (let i = 0; i < 200; i++) messages.push(event(i, 'page_viewed'));
  messages.push(event(1, 'wishlist_opened')); // unplanned, but it looks like an event name
  await produce(space.topic, messages);
  expect((await runCli(['consume', '--exit-when-idle', '2'], space.env)).code).toBe(0);
}, 240_000);
afterAll(async () => {
  r.disconnect();
  await space.cleanup();
});

describe('reports carry no sender text that could be personal data', () => {
  it(`folds ${DISTINCT} e-mail-like event names into one line, and the report stays small`, async () => {
    const json = join(dir, 'day.json');
    const text = join(dir, 'day.txt');
    const html = join(dir, 'html');
    const run = await runCli(
      ['closeout', '--date', DAY, '--json', json, '--text', text, '--html', html, '--fail-on', 'never'],
      space.env,
    );
    expect(run.code).toBe(0);
    const stored = JSON.stringify(await state.archive.readSummary(DAY));
    const page = readFileSync(join(html, `${DAY}.html`), 'utf8');
    for (const out of [readFileSync(json, 'utf8'), readFileSync(text, 'utf8'), stored, run.output]) {
      expect(out).not.toContain('@');
      expect(out).not.toContain('example.com');
    }
    // the page inlines Chart.js, whose source has its own "@"s: look for the senders' text itself
    expect(page).not.toMatch(/user\d+@/);
    expect(page).not.toContain('example.com');
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      metrics: { event_types: Record<string, number> };
    };
    expect(report.metrics.event_types).toEqual({
      page_viewed: 200,
      wishlist_opened: 1,
      [`other (${DISTINCT} distinct)`]: DISTINCT,
    });
    expect(readFileSync(json).length).toBeLessThan(20_000);
  });
});

describe('close-out dates', () => {
  it('refuses tomorrow and a day that does not exist with exit 2, and stores nothing', async () => {
    const tomorrow = utcDay(1);
    for (const date of [tomorrow, '2025-02-30']) {
      const run = await runCli(['closeout', '--date', date], space.env);
      expect(run.code).toBe(2);
      expect(run.output.trim().split('\n').length).toBeLessThanOrEqual(3);
    }
    expect(await state.archive.readSummary(tomorrow)).toBeNull();
  });

  it('refuses today unless asked for a provisional report, which is neither stored nor sent', async () => {
    const today = utcDay(0);
    const refused = await runCli(['closeout', '--date', today], space.env);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('not over yet');
    const provisional = await runCli(
      ['closeout', '--date', today, '--provisional', '--fail-on', 'never'],
      space.env,
    );
    expect(provisional.code).toBe(0);
    expect(provisional.output).toContain('PROVISIONAL');
    expect(await state.archive.readSummary(today)).toBeNull();
    // and the real close-out of a past day is unaffected by it
    expect(await state.archive.readSummary(DAY)).not.toBeNull();
  });
});

describe('hostile command lines', () => {
  it('--provisional without --date reports on today and neither stores nor marks a day closed', async () => {
    const yesterday = utcDay(-1);
    const run = await runCli(['closeout', '--provisional', '--fail-on', 'never'], space.env);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`PROVISIONAL: ${utcDay(0)}`);
    expect(await state.archive.readSummary(yesterday)).toBeNull();
    expect(await state.archive.recentClosedDays(10)).not.toContain(yesterday);
  });

  it('--provisional with a past day stores nothing either', async () => {
    const past = '2025-03-05';
    const run = await runCli(['closeout', '--date', past, '--provisional', '--fail-on', 'never'], space.env);
    expect(run.code, run.output).toBe(0);
    expect(await state.archive.readSummary(past)).toBeNull();
  });

  it.each(['constructor', 'toString', '__proto__', 'bogus'])(
    '--fail-on %s is refused with exit 2',
    async (level) => {
      const run = await runCli(['closeout', '--date', DAY, '--fail-on', level], space.env);
      expect(run.code).toBe(2);
      expect(run.output).toContain('--fail-on');
    },
  );

  it('accepts --fail-on in any case', async () => {
    const run = await runCli(['closeout', '--date', DAY, '--fail-on', 'NEVER'], space.env);
    expect(run.code, run.output).toBe(0);
  });

  it('dlq summary --show-values refuses a terminal, pipe or device behind any path', async () => {
    for (const path of ['/proc/self/fd/1', '/dev/stdout', '/proc/self/fd/2']) {
      const run = await runCli(['dlq', 'summary', '--show-values', path], space.env);
      expect(run.code, run.output).toBe(2);
      expect(run.output).toContain('--show-values writes to a regular file');
    }
  });
});

describe('command-line conventions', () => {
  it('--version prints the package version', async () => {
    const run = await runCli(['--version'], space.env);
    expect(run.code).toBe(0);
    expect(run.output.trim()).toBe(
      (
        JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
  });

  it.each([
    [['replay', '--format', 'xml', 'x.csv'], '--format'],
    [['dlq', 'replay', '--reason', 'bogus'], 'unknown reason bogus'],
    [['intraday', '--date', DAY, '--at', '10:00', '--fail-on', 'bogus'], '--fail-on'],
  ])('%s: one line on stderr with the one prefix, exit 2', async (args, says) => {
    const run = await runCli(args, space.env);
    expect(run.code).toBe(2);
    const lines = run.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^event-monitor: /);
    expect(lines[0]).toContain(says);
  });

  it.each([
    ['consume'],
    ['topics', 'ensure'],
    ['closeout'],
    ['config', 'check'],
    ['config', 'show'],
    ['plan', 'check'],
    ['plan', 'infer'],
    ['intraday'],
    ['feedback'],
    ['dlq', 'summary'],
    ['dlq', 'replay'],
    ['replay'],
  ])(
    '%s --help shows examples, the global options, the environment and the exit codes',
    async (...command) => {
      const run = await runCli([...command, '--help'], space.env);
      expect(run.code).toBe(0);
      for (const part of ['Examples:', '--namespace', 'Environment:', 'Exit codes:'])
        expect(run.output).toContain(part);
    },
  );

  it('a verdict (1) and a runtime failure (3) exit differently', async () => {
    const verdict = await runCli(['closeout', '--date', DAY, '--fail-on', 'warning'], space.env);
    expect(verdict.code).toBe(1);
    const unreachable = await runCli(['closeout', '--date', DAY], {
      ...space.env,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(unreachable.code).toBe(3);
    expect(unreachable.output.trim().split('\n')).toHaveLength(1);
  });

  it('severities are case-insensitive everywhere', async () => {
    const run = await runCli(
      ['intraday', '--date', DAY, '--at', '10:00', '--fail-on', 'CRITICAL'],
      space.env,
    );
    expect(run.code, run.output).not.toBe(2);
  });

  it('config check validates every section without connecting: each misspelt key one line, with the nearest valid one', async () => {
    const file = join(dir, 'misspelt.yml');
    writeFileSync(
      file,
      [
        'traffic:',
        '  sesionGapMinutes: 10',
        'baseline:',
        '  dayz: 3',
        'delivery:',
        '  alertTTLHours: 3',
        'channels:',
        '  utm:',
        '    paidMedium: [cpc]',
        'overrides:',
        '  - weekdays: [0]',
        '    reasn: sunday',
        '    thresholds: {}',
      ].join('\n'),
    );
    // nothing listens on these: config check must not try
    const offline = { ...space.env, KAFKA_BROKERS: '127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' };
    const bad = await runCli(['config', 'check'], { ...offline, MONITOR_CONFIG_FILE: file });
    expect(bad.code).toBe(2);
    const lines = bad.output.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const [key, near] of [
      ['traffic.sesionGapMinutes', 'sessionGapMinutes'],
      ['baseline.dayz', 'days'],
      ['delivery.alertTTLHours', 'alertTtlHours'],
      ['channels.utm.paidMedium', 'paidMediums'],
      ['overrides.0.reasn', 'reason'],
    ]) {
      expect(lines.some((l) => l.includes(`${key}: unknown key (did you mean "${near}"?)`))).toBe(true);
    }
    expect(lines.every((l) => l.startsWith('event-monitor: config: '))).toBe(true);
    const good = await runCli(['config', 'check'], offline);
    expect(good.code, good.output).toBe(0);
    expect(good.output).toContain('config ok');
  });

  it("config show prints the config as read, and with --date the day's thresholds and intraday parameters, naming its overrides, without connecting", async () => {
    const file = join(dir, 'overrides.yml');
    writeFileSync(
      file,
      [
        'thresholds: { minDailyConversions: 10 }',
        'overrides:',
        '  - { weekdays: [0, 6], reason: weekends, thresholds: { minDailyConversions: 5 } }',
        '  - { from: 2025-11-28, to: 2025-12-01, reason: Black Friday, intraday: { silence: { floorMinutes: 5 } } }',
      ].join('\n'),
    );
    const offline = {
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      MONITOR_CONFIG_FILE: file,
    };
    const all = await runCli(['config', 'show'], { ...space.env, ...offline });
    expect(all.code, all.output).toBe(0);
    const shown = parseYaml(all.output);
    expect(shown.thresholds.minDailyConversions).toBe(10);
    // what it prints is a config the monitor reads back as the same
    expect(parseMonitorConfig(shown)).toEqual(parseMonitorConfig(parseYaml(readFileSync(file, 'utf8'))));

    const saturday = await runCli(['config', 'show', '--date', '2025-11-29'], { ...space.env, ...offline });
    expect(saturday.code, saturday.output).toBe(0);
    expect(saturday.output.split('\n')[0]).toBe(
      '# 2025-11-29: Overrides in effect: weekends (minDailyConversions 5); Black Friday (intraday.silence.floorMinutes 5)',
    );
    const day = parseYaml(saturday.output);
    expect(day.thresholds.minDailyConversions).toBe(5);
    expect(day.intraday.silence.floorMinutes).toBe(5);
    expect(day.intraday.silence.p).toBe(shown.intraday.silence.p);

    const wednesday = await runCli(['config', 'show', '--date', '2025-03-05'], { ...space.env, ...offline });
    expect(wednesday.output.split('\n')[0]).toBe('# 2025-03-05: no override applies');
    expect(parseYaml(wednesday.output).intraday).toEqual(shown.intraday);
  });
});

describe('strict configuration', () => {
  it('stops on a misspelt threshold, a negative threshold and an unknown snooze check: exit 2, one line each', async () => {
    const file = join(dir, 'monitor.yml');
    writeFileSync(
      file,
      [
        'thresholds:',
        '  minDailyEvent: 100',
        '  minDailyRevenue: -5',
        'snoozes:',
        '  - check: aov_anomally',
        '    until: 2025-03-31',
        '    reason: known promo',
      ].join('\n'),
    );
    const run = await runCli(['closeout', '--date', DAY], { ...space.env, MONITOR_CONFIG_FILE: file });
    expect(run.code).toBe(2);
    const lines = run.output.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(
      lines.some((l) => l.includes('minDailyEvent') && l.includes('did you mean "minDailyEvents"')),
    ).toBe(true);
    expect(lines.some((l) => l.includes('thresholds.minDailyRevenue'))).toBe(true);
    expect(lines.some((l) => l.includes('aov_anomally') && l.includes('did you mean "aov_anomaly"'))).toBe(
      true,
    );
  });
});
