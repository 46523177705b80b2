/**
 * Intraday checks through the real broker and Redis. A real baseline (the
 * export's first seven days), then crafted days copied from real ones a week
 * earlier (the same weekday) with a failure from a time of day on: page views
 * stop at noon, add-to-cart stops at noon, half the events lose their client
 * id from 09:00. Each is caught within the hour (add-to-cart within three),
 * and nothing fires before the failure starts. And on the real export,
 * judged at every hour of its second week, volume and silence alerts fire
 * only for its one outage (03-07, no event at all from 10:48 to 13:42): its
 * quiet hours, sparse purchases included, are its normal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayResolver } from '../../src/calendar/day-resolver.ts';
import { intradayBackfill } from '../../src/cli/intraday.ts';
import type { Report } from '../../src/closeout/report.ts';
import { recordsOf, storedSightingsOf } from '../../src/intraday/alert-log.ts';
import { evaluateIntraday, type IntradayVerdict } from '../../src/intraday/evaluate.ts';
import { listCsvFiles, readCsvEvents } from '../../src/replay/csv-events.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { EXPECTED, replayExport, totalEvents, writeSpecialDaysConfig } from '../helpers/export.ts';
import { runCli } from '../helpers/monitor-process.ts';
import { PUFFY_DIR } from '../helpers/reference.ts';
import { produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAYS = [...EXPECTED.keys()];
const through = (i: number) => DAYS.slice(0, i + 1).reduce((n, d) => n + EXPECTED.get(d)!.rows, 0);
const WEEK_MS = 7 * 86_400_000;
const minuteOf = (ms: number) => Math.floor((ms % 86_400_000) / 60_000);

type Fields = Record<string, string | null>;
/** A real day's rows a week later, each changed (or dropped: null) by `failure`. */
async function craftedDay(source: string, failure: (f: Fields, minute: number, i: number) => Fields | null) {
  const file = listCsvFiles([PUFFY_DIR]).find((f) => f.includes(source.replaceAll('-', '')))!;
  const out: Message[] = [];
  let i = 0;
  for await (const row of readCsvEvents(file, () => {})) {
    const ts = row.timestampMs! + WEEK_MS;
    const changed = failure({ ...row.fields, timestamp: new Date(ts).toISOString() }, minuteOf(ts), i++);
    if (!changed) continue;
    const client = changed.client_id ?? changed.clientId ?? null;
    out.push({ key: client, value: JSON.stringify(changed), timestamp: String(ts) });
  }
  return out;
}

let space: TestSpace;
let real: TestSpace;
const dir = mkdtempSync(join(tmpdir(), 'em-intraday-'));

beforeAll(async () => {
  space = await testSpace(`${import.meta.filename}-crafted`, { partitions: 3 });
  real = await testSpace(`${import.meta.filename}-real`, { partitions: 3 });
  await replayExport(space, 'json', { limit: through(6) }); // 02-23 … 03-01
  const crafted = [
    // 03-02, a Sunday like 02-23: page views stop at noon
    ...(await craftedDay('2025-02-23', (f, m) => (f.event_name === 'page_viewed' && m >= 720 ? null : f))),
    // 03-03: add-to-cart stops at noon
    ...(await craftedDay('2025-02-24', (f, m) =>
      f.event_name === 'product_added_to_cart' && m >= 720 ? null : f,
    )),
    // 03-04: every second event loses its client id from 09:00
    ...(await craftedDay('2025-02-25', (f, m, i) =>
      m >= 540 && i % 2 === 0 ? { ...f, client_id: null } : f,
    )),
  ];
  await produce(space.topic, crafted);
  await replayExport(real, 'json');
  for (const s of [space, real]) {
    expect((await runCli(['consume', '--exit-when-idle', '2'], s.env)).code).toBe(0);
  }
  expect(await totalEvents(space.namespace)).toBe(through(6) + crafted.length);
}, 240_000);
afterAll(async () => {
  await space.cleanup();
  await real.cleanup();
});

async function intraday(
  date: string,
  at: string,
  env: Record<string, string> = {},
): Promise<IntradayVerdict> {
  const file = join(dir, `${date}-${at.replace(':', '')}.json`);
  const run = await runCli(['intraday', '--date', date, '--at', at, '--json', file, '--text'], {
    ...space.env,
    ...env,
  });
  expect(run.code, run.output).toBe(0);
  return JSON.parse(readFileSync(file, 'utf8'));
}
const named = (v: IntradayVerdict) => v.alerts.map((a) => `${a.check}:${a.event_name ?? '*'}`);

describe('intraday checks on crafted days after a real baseline', () => {
  it('page views stop at noon: caught by 13:00, and nothing fires at noon', async () => {
    expect(named(await intraday('2025-03-02', '12:00'))).toEqual([]);
    const v = await intraday('2025-03-02', '13:00');
    expect(v.baseline_days).toEqual(DAYS.slice(0, 7));
    expect(named(v).filter((n) => n.endsWith(':page_viewed'))).not.toEqual([]);
    for (const a of v.alerts) {
      expect(Object.keys(a).sort()).toEqual(
        ['check', 'event_name', 'expected', 'message', 'observed', 'severity', 'since', 'snoozed'].sort(),
      );
    }
    const drop = v.alerts.find((a) => a.check === 'intraday_volume_drop' && a.event_name === 'page_viewed');
    expect(drop).toMatchObject({ severity: 'CRITICAL', observed: 0, since: '2025-03-02T12:00:00.000Z' });
  });

  it('add-to-cart stops at noon: an alert naming it within four hours, none at noon', async () => {
    // about five an hour: no add-to-cart is unlikely enough (10⁻⁶) only after some 2.5 hours
    expect(named(await intraday('2025-03-03', '12:00'))).toEqual([]);
    const within = await Promise.all(
      ['13:00', '14:00', '15:00', '16:00'].map((at) => intraday('2025-03-03', at)),
    );
    expect(within.flatMap(named).some((n) => n.endsWith(':product_added_to_cart'))).toBe(true);
  });

  it('half the events lose their client id from 09:00: the null rate by 10:00, nothing at 09:00', async () => {
    expect(named(await intraday('2025-03-04', '09:00'))).toEqual([]);
    const v = await intraday('2025-03-04', '10:00');
    expect(named(v)).toContain('intraday_null_client_rate:*');
    expect(v.alerts.find((a) => a.check === 'intraday_null_client_rate')!.observed).toBeGreaterThan(0.4);
  });

  it("judges the null rate against the day's own threshold: a weekday override reaches it, as in the close-out", async () => {
    const config = join(dir, 'tuesdays.yaml');
    // 2025-03-04 is a Tuesday: there, up to 60% of events may come without a client id
    writeFileSync(
      config,
      'overrides:\n  - { weekdays: [2], reason: a consent banner test, thresholds: { maxNullClientRate: 0.6 } }\n',
    );
    const v = await intraday('2025-03-04', '10:00', { MONITOR_CONFIG_FILE: config });
    expect(named(v)).not.toContain('intraday_null_client_rate:*');
  });

  it("judges with the day's own parameters: a date override of a check's parameters reaches it on its days only", async () => {
    // a consent test on 03-04 sends too few identified events to judge an hour by: 100,000 needed
    const override = (day: string) => {
      const file = join(dir, `consent-test-${day}.yaml`);
      writeFileSync(
        file,
        `overrides:\n  - { from: ${day}, to: ${day}, reason: consent test, intraday: { nullClient: { minEvents: 100000 } } }\n`,
      );
      return { MONITOR_CONFIG_FILE: file };
    };
    const overridden = await intraday('2025-03-04', '10:00', override('2025-03-04'));
    expect(named(overridden)).not.toContain('intraday_null_client_rate:*');
    expect(overridden.overrides.map((o) => [o.reason, o.intraday])).toEqual([
      ['consent test', { nullClient: { minEvents: 100000 } }],
    ]);
    const otherDay = await intraday('2025-03-04', '10:00', override('2025-03-05'));
    expect(named(otherDay)).toContain('intraday_null_client_rate:*');
    expect(otherDay.overrides).toEqual([]);
  });
});

describe('feedback', () => {
  it("an intraday alert called an incident keeps its day out of the next days' volume baselines", async () => {
    expect((await intraday('2025-03-03', '13:00')).excluded).toEqual([]);
    const said = await runCli(
      [
        'feedback',
        '--date',
        '2025-03-02',
        '--check',
        'intraday_volume_drop',
        '--verdict',
        'incident',
        '--note',
        'tag manager outage',
      ],
      space.env,
    );
    expect(said.code, said.output).toBe(0);
    const v = await intraday('2025-03-03', '13:00');
    expect(v.excluded).toEqual([{ day: '2025-03-02', check: 'intraday_volume_drop', baseline: 'volume' }]);
    expect(v.baseline_days).not.toContain('2025-03-02');

    const stats = join(dir, 'stats.json');
    expect((await runCli(['feedback', '--stats', '--days', '1000', '--json', stats], space.env)).code).toBe(
      0,
    );
    expect(JSON.parse(readFileSync(stats, 'utf8'))).toContainEqual(
      expect.objectContaining({ check: 'intraday_volume_drop', incident: 1, false_positive: 0 }),
    );
    // an unknown check or verdict is refused with exit 2
    expect(
      (
        await runCli(
          ['feedback', '--date', '2025-03-02', '--check', 'nope', '--verdict', 'incident'],
          space.env,
        )
      ).code,
    ).toBe(2);
  });
});

describe('intraday checks on the real export', () => {
  it('judged at every hour of the second week: volume and silence alerts for its one outage only, the stream named at the first run after it began', async () => {
    const r = redis();
    try {
      const state = new MonitorState(r, real.namespace);
      const slots = await state.days.readIntraday(DAYS);
      const config = real.ctx.config;
      const fired: string[] = [];
      let evaluations = 0;
      for (const date of DAYS.slice(7)) {
        const history = new Map(DAYS.filter((d) => d < date).map((d) => [d, slots.get(d)!]));
        for (let hour = 1; hour <= 24; hour++) {
          const v = evaluateIntraday({
            date,
            atMinute: hour * 60,
            today: slots.get(date)!,
            history,
            rules: config.intraday,
            roles: config.source.mapping.events,
            maxNullClientRate: config.thresholds.maxNullClientRate,
            instantOf: (d, m) => new DayResolver('UTC').instantOf(d, m),
          });
          evaluations++;
          fired.push(...v.alerts.map((a) => `${date} ${hour}:00 ${a.check} ${a.event_name ?? '*'}`));
        }
      }
      expect(evaluations).toBe(7 * 24);
      // The export's one outage: no event of any type from 10:48 to 13:42 on 03-07. The stream as a
      // whole is named at the first hourly run after it began (11:00: 12 minutes without any event, at
      // an hour whose baseline days never had such a gap), page views by 12:00; the volume drops last
      // while a window holds the gap.
      // Nothing else fires.
      const volume = fired.filter((f) => /intraday_(volume_drop|silence)/.test(f));
      expect(volume).toEqual([
        '2025-03-07 11:00 intraday_silence *',
        '2025-03-07 12:00 intraday_volume_drop page_viewed',
        '2025-03-07 12:00 intraday_volume_drop *',
        '2025-03-07 12:00 intraday_silence page_viewed',
        '2025-03-07 12:00 intraday_silence *',
        '2025-03-07 13:00 intraday_volume_drop page_viewed',
        '2025-03-07 13:00 intraday_volume_drop *',
        '2025-03-07 13:00 intraday_silence page_viewed',
        '2025-03-07 13:00 intraday_silence *',
        '2025-03-07 14:00 intraday_volume_drop page_viewed', // the windows still hold the gap
        '2025-03-07 14:00 intraday_volume_drop *',
      ]);
      // the rest: the export's real failure, client ids gone on 7.9–15.8% of events from 03-02
      const rest = fired.filter((f) => !volume.includes(f));
      expect(rest.every((f) => f.includes('intraday_null_client_rate'))).toBe(true);
      expect(new Set(rest.map((f) => f.slice(0, 10)))).toEqual(new Set(DAYS.slice(7)));
    } finally {
      r.disconnect();
    }
  });
});

describe('special days from config (baseline.specialDays)', () => {
  it('a sale day is judged against earlier sale days, a day to skip not at all, an ordinary day never against them', async () => {
    const config = writeSpecialDaysConfig(dir);
    const withSpecialDays = (date: string) =>
      intraday(date, '12:00', { ...real.env, MONITOR_CONFIG_FILE: config });
    const sale = await withSpecialDays('2025-03-08');
    expect(sale.baseline_days).toEqual(['2025-02-23', '2025-03-01', '2025-03-02']);
    expect(sale.note).toBeNull();
    const skipped = await withSpecialDays('2025-03-06');
    expect(skipped.note).toBe(
      'Staff day (holiday): a special day, judged against no baseline (judge: skip): not judged',
    );
    expect(skipped.alerts).toEqual([]);
    const ordinary = await withSpecialDays('2025-03-07');
    expect(ordinary.baseline_days).toEqual([
      '2025-02-25',
      '2025-02-26',
      '2025-02-27',
      '2025-02-28',
      '2025-03-03',
      '2025-03-04',
      '2025-03-05',
    ]);
    // the real outage is named against them as well
    expect(named(ordinary)).toContain('intraday_silence:*');
  });
});

describe("the intraday schedule's record of a day", () => {
  it("lists the day's intraday alerts in its close-out and keeps the day out of the next days' intraday baselines", async () => {
    const onReal = (date: string, at: string) => intraday(date, at, real.env);
    expect((await onReal('2025-03-08', '12:00')).excluded).toEqual([]);
    const r = redis();
    try {
      const state = new MonitorState(r, real.namespace);
      // what the schedule does after each run: its verdict's alerts kept as sightings of the day
      for (const at of ['10:40', '11:00', '12:00', '13:00', '14:00']) {
        const v = await onReal('2025-03-07', at);
        await state.intradayAlerts.record(
          '2025-03-07',
          storedSightingsOf(v, Date.parse(`2025-03-07T${at}:00Z`)),
        );
      }
    } finally {
      r.disconnect();
    }
    const next = await onReal('2025-03-08', '12:00');
    expect(next.excluded).toContainEqual({
      day: '2025-03-07',
      check: 'intraday_silence',
      baseline: 'volume',
    });
    expect(next.baseline_days).not.toContain('2025-03-07');

    const file = join(dir, 'closeout-2025-03-07.json');
    const run = await runCli(
      ['closeout', '--date', '2025-03-07', '--provisional', '--json', file, '--text'],
      real.env,
    );
    expect(run.output).toContain('intraday alerts (raised during the day by the intraday schedule):');
    expect(run.output).toMatch(/CRITICAL intraday_silence all events: since 10:48, raised 11:00–13:00/);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    const stream = report.intraday.find((a) => a.check === 'intraday_silence' && a.event_name === null);
    // from the last event before the outage, first raised by the 11:00 run, last by the 13:00 one
    expect(stream).toMatchObject({
      severity: 'CRITICAL',
      since: '2025-03-07T10:48:09.366Z',
      first_seen: '2025-03-07T11:00:00.000Z',
      last_seen: '2025-03-07T13:00:00.000Z',
    });
    // the outage's alerts (the null client rate, the export's other failure, aside)
    expect(
      report.intraday
        .filter((a) => a.check !== 'intraday_null_client_rate')
        .map((a) => `${a.check}:${a.event_name ?? '*'}`)
        .sort(),
    ).toEqual([
      'intraday_silence:*',
      'intraday_silence:page_viewed',
      'intraday_volume_drop:*',
      'intraday_volume_drop:page_viewed',
    ]);
  });
});

describe('intraday --backfill: a past day judged as the schedule would have', () => {
  it("keeps each alert's first and last sighting by the time of the run it would have been", async () => {
    const run = await runCli(['intraday', '--date', '2025-03-02', '--backfill', '--every', '10'], space.env);
    expect(run.code, run.output).toBe(0);
    // every 10 minutes from 00:10 to 24:00
    expect(run.output).toMatch(/judged 144 time\(s\) every 10 min up to 24:00; \d+ alert\(s\) kept/);

    const file = join(dir, 'closeout-backfilled-2025-03-02.json');
    const closed = await runCli(
      ['closeout', '--date', '2025-03-02', '--provisional', '--fail-on', 'never', '--json', file],
      space.env,
    );
    expect(closed.code, closed.output).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    const pageViews = report.intraday.filter((a) => a.event_name === 'page_viewed');
    expect(pageViews.map((a) => a.check).sort()).toEqual(['intraday_silence', 'intraday_volume_drop']);
    // page views stopped at noon: nothing before, first named by a run within the hour, still at midnight
    for (const a of pageViews) {
      expect(a.first_seen > '2025-03-02T12:00:00.000Z' && a.first_seen <= '2025-03-02T13:00:00.000Z').toBe(
        true,
      );
      expect(a.last_seen).toBe('2025-03-03T00:00:00.000Z');
    }
    const nothingBefore = report.intraday.filter(
      (a) => a.check !== 'intraday_null_client_rate' && a.first_seen <= '2025-03-02T12:00:00.000Z',
    );
    expect(nothingBefore).toEqual([]);
  });

  it('judges today only up to now', async () => {
    // 03-03 as if it were now 12:05 there: add-to-cart stopped at noon, so nothing is due yet
    const r = redis();
    try {
      const state = new MonitorState(r, space.namespace);
      const result = await intradayBackfill(
        space.ctx,
        state,
        '2025-03-03',
        10,
        Date.parse('2025-03-03T12:05:00Z'),
      );
      expect(result).toMatchObject({ runs: 72, lastAt: '12:00' });
      const kept = recordsOf((await state.intradayAlerts.read(['2025-03-03'])).get('2025-03-03')!);
      expect(kept.filter((a) => a.last_seen > '2025-03-03T12:00:00.000Z')).toEqual([]);
      expect(kept.filter((a) => a.event_name === 'product_added_to_cart')).toEqual([]);
    } finally {
      r.disconnect();
    }
  });

  it('refuses a day after today, one line', async () => {
    const tomorrow = DayResolver.previous(new Date().toISOString().slice(0, 10), -2);
    const run = await runCli(['intraday', '--date', tomorrow, '--backfill'], space.env);
    expect(run.code).toBe(2);
    expect(run.output).toContain(`intraday --backfill: ${tomorrow} is after today`);
  });
});
