/**
 * `npm run bench:detection`: how soon the intraday checks name a failure,
 * next to the statistical limit, and how often they cry wolf.
 *
 * The real export goes through the pipeline (decoding, validation, folding)
 * into a real Redis, and its days' slots are read back as the intraday
 * scheduler reads them. Then, in one run:
 * - crafted stops: Sunday 2025-03-09 as a copy of 2025-02-23, with one event
 *   type stopped (full) or thinned to half (partial) from 10:00, 13:00, 16:00
 *   or 20:00, judged every minute (`--every`, as the default schedule runs); each with a clean baseline week and with
 *   one bad day in it (an outage of every event for three hours from the same
 *   hour). The minutes to the first alert naming the type stand beside the
 *   statistical limit: the fewest minutes after which a Poisson count at the
 *   clean baseline's rate makes what is seen less likely than the configured
 *   false-alarm level (`intraday.volume.criticalP`).
 * - false alarms: every evaluation (each minute) of the export's second week on the real
 *   days; alerts about the real outage of 03-07 (10:48–13:42 UTC) and about
 *   the export's known null client id rate (03-02 on) are reported as found.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { type IntradayDay, SLOT_MINUTES, SLOTS_PER_DAY } from '../src/aggregation/intraday.ts';
import { DayResolver } from '../src/calendar/day-resolver.ts';
import { wholeNumberIn } from '../src/cli/arguments.ts';
import { processorOf } from '../src/cli/consume.ts';
import { createContext, stateOf } from '../src/cli/context.ts';
import { countIn, evaluateIntraday, type IntradayVerdict } from '../src/intraday/evaluate.ts';
import { countCdf } from '../src/intraday/statistics.ts';
import { CONVERTERS } from '../src/replay/convert.ts';
import { listCsvFiles, readCsvEvents } from '../src/replay/csv-events.ts';
import type { IncomingMessage } from '../src/source/messages.ts';
import { createRedis } from '../src/state/redis.ts';
import { ensureRunning, REPO_ROOT, STACK, stackEnv } from '../stack/services.ts';

const opts = new Command('bench:detection')
  .option('--json <file>', 'write the figures as JSON')
  .option('--verbose', 'print every crafted case, not only the summary')
  .option(
    '--every <minutes>',
    'judge every this many minutes, as INTRADAY_SCHEDULE would run (default: every minute, its default)',
    wholeNumberIn(1, 60),
    1,
  )
  .option(
    '--silence-floor <minutes>',
    "judge with this intraday.silence.floorMinutes instead of the shop config's",
    wholeNumberIn(1),
  )
  .parse()
  .opts<{ json?: string; verbose?: boolean; every: number; silenceFloor?: number }>();
const EVERY = opts.every;

const say = (s: string) => process.stdout.write(`${s}\n`);
const EXPORT_DIR = resolve(REPO_ROOT, '..', 'shared', 'data', 'puffy');
const SHOP_CONFIG = join(REPO_ROOT, 'config', 'puffy.yaml');
const CRAFTED = '2025-03-09';
const CRAFTED_FROM = '2025-02-23';
const BAD_DAY = '2025-03-07';
const BAD_DAY_CLEAN = '2025-02-28';
const HOURS = [10, 13, 16, 20];
const OUTAGE = {
  day: '2025-03-07',
  from: Date.parse('2025-03-07T10:48:09Z'),
  to: Date.parse('2025-03-07T13:42:38Z'),
};
const NULL_CLIENT_FAILURE_FROM = '2025-03-02';
const utc = new DayResolver('UTC');

/** The export's days, as the pipeline folds them into Redis and the scheduler reads them back. */
async function exportDays(): Promise<Map<string, IntradayDay>> {
  await ensureRunning(STACK()[0]!, (l) => say(`[stack] ${l}`));
  const ctx = createContext(
    { namespace: `bench-detection-${randomBytes(3).toString('hex')}` },
    {
      ...process.env,
      ...stackEnv(),
      MONITOR_CONFIG_FILE: SHOP_CONFIG,
      MONITOR_TIMEZONE: 'UTC',
      LOG_LEVEL: 'error',
    },
  );
  const redis = createRedis(ctx.env, 'event-monitor:bench-detection');
  const state = stateOf(ctx, redis);
  try {
    const rejected: string[] = [];
    const processor = processorOf(ctx, state, {
      async send(records) {
        rejected.push(...records.map((r) => r.reason));
      },
    });
    let offset = 0;
    const days = new Set<string>();
    let batch: IncomingMessage[] = [];
    const flush = async () => {
      if (batch.length) await processor.process('bench-detection', 0, batch);
      batch = [];
    };
    for (const file of listCsvFiles([EXPORT_DIR]))
      for await (const e of readCsvEvents(file, (skip) => {
        throw new Error(`${skip.file}:${skip.line}: ${skip.message}`);
      })) {
        // the monitor's days are UTC here, as the export's timestamps
        days.add(e.fields.timestamp?.slice(0, 10) ?? '');
        batch.push({
          offset: String(offset++),
          timestamp: String(e.timestampMs ?? 0),
          key: null,
          value: Buffer.from(CONVERTERS.flat(e)),
        });
        if (batch.length === 1000) await flush();
      }
    await flush();
    say(`folded ${offset.toLocaleString('en-US')} events of ${days.size} days (${rejected.length} rejected)`);
    return await state.days.readIntraday([...days].filter(Boolean).sort());
  } finally {
    await state.deleteNamespace();
    redis.disconnect();
  }
}

// ------------------------------------------------------------------ crafting days

function copyDay(d: IntradayDay, shiftMs = 0): IntradayDay {
  return {
    byType: new Map([...d.byType].map(([t, s]) => [t, [...s]])),
    nullClients: [...d.nullClients],
    totals: [...d.totals],
    spans: new Map(
      [...d.spans].map(([t, bySlot]) => [
        t,
        new Map([...bySlot].map(([slot, s]) => [slot, { first: s.first + shiftMs, last: s.last + shiftMs }])),
      ]),
    ),
  };
}

/** A reproducible coin: mulberry32. */
function coin(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < 0.5;
  };
}

/**
 * The types' events from `fromSlot` to `toSlot` removed (keep = 0) or each
 * kept with probability one half; totals, null clients and spans follow.
 */
function cut(
  d: IntradayDay,
  types: readonly string[],
  fromSlot: number,
  toSlot: number,
  half: boolean,
): IntradayDay {
  const out = copyDay(d);
  const keep = coin(fromSlot * 7919 + types.length);
  for (const type of types) {
    const series = out.byType.get(type);
    if (!series) continue;
    for (let slot = fromSlot; slot < toSlot; slot++) {
      const before = series[slot]!;
      let after = 0;
      if (half) for (let i = 0; i < before; i++) after += keep() ? 1 : 0;
      series[slot] = after;
      out.totals[slot]! -= before - after;
      // the null client ids go in proportion
      const nulls = out.nullClients[slot]!;
      out.nullClients[slot] = Math.min(
        out.totals[slot]!,
        Math.round((nulls * out.totals[slot]!) / Math.max(1, out.totals[slot]! + before - after)),
      );
      if (after === 0) out.spans.get(type)?.delete(slot);
    }
  }
  return out;
}

// ------------------------------------------------------------------ judging

const shop = createContext(
  {},
  { ...process.env, MONITOR_CONFIG_FILE: SHOP_CONFIG, MONITOR_TIMEZONE: 'UTC' },
).config;
const config =
  opts.silenceFloor === undefined
    ? shop
    : {
        ...shop,
        intraday: {
          ...shop.intraday,
          silence: { ...shop.intraday.silence, floorMinutes: opts.silenceFloor },
        },
      };

function judge(
  date: string,
  atMinute: number,
  today: IntradayDay,
  history: Map<string, IntradayDay>,
): IntradayVerdict {
  return evaluateIntraday({
    date,
    atMinute,
    today,
    history,
    rules: config.intraday,
    maxNullClientRate: config.thresholds.maxNullClientRate,
    roles: config.source.mapping.events,
    instantOf: (day, minute) => utc.instantOf(day, minute),
  });
}

const names = (event: string | null) => (event === null ? [] : event.split('|'));

/** Poisson count at the clean baseline's mean of [from, from + t): the fewest minutes t at which `seen(λ)` is below p. */
function statisticalLimit(
  baseline: IntradayDay[],
  type: string,
  fromMinute: number,
  p: number,
  seen: (mean: number) => number,
) {
  for (let t = 1; fromMinute + t <= 24 * 60; t++) {
    const mean = expectedIn(baseline, type, fromMinute, fromMinute + t);
    if (countCdf(seen(mean), mean, mean) < p) return t;
  }
  return null;
}

/** The baseline days' mean count of a type in [from, to) minutes, slots prorated. */
const expectedIn = (baseline: IntradayDay[], type: string, from: number, to: number) =>
  baseline.reduce((n, d) => n + countIn(d.byType.get(type) ?? [], from, to), 0) /
  Math.max(1, baseline.length);

interface Case {
  type: string;
  kind: 'full' | 'half';
  hour: number;
  badDay: boolean;
  perHour: number;
  limit: number | null;
  latency: number | null;
  early: boolean;
  bound: number | null;
  pass: boolean | null;
}

async function main() {
  const real = await exportDays();
  // the export's second week: every day of it has a full week before
  const falseAlarmDays = [...real.keys()].slice(7);
  const crafted = copyDay(
    real.get(CRAFTED_FROM)!,
    utc.instantOf(CRAFTED, 0) - utc.instantOf(CRAFTED_FROM, 0),
  );
  const cleanHistory = new Map(real);
  cleanHistory.set(
    BAD_DAY,
    copyDay(real.get(BAD_DAY_CLEAN)!, utc.instantOf(BAD_DAY, 0) - utc.instantOf(BAD_DAY_CLEAN, 0)),
  );
  const types = [...crafted.byType.keys()].filter((t) => !t.startsWith('(')).sort();
  const p = config.intraday.volume.criticalP;
  const baselineOfCrafted = judge(CRAFTED, 0, crafted, cleanHistory).baseline_days.map(
    (d) => cleanHistory.get(d)!,
  );

  const cases: Case[] = [];
  for (const type of types)
    for (const kind of ['full', 'half'] as const)
      for (const hour of HOURS)
        for (const badDay of [false, true]) {
          const from = hour * 60;
          const today = cut(crafted, [type], from / SLOT_MINUTES, SLOTS_PER_DAY, kind === 'half');
          const history = new Map(cleanHistory);
          if (badDay)
            history.set(
              BAD_DAY,
              cut(
                cleanHistory.get(BAD_DAY)!,
                [...cleanHistory.get(BAD_DAY)!.byType.keys()],
                from / SLOT_MINUTES,
                from / SLOT_MINUTES + 18,
                false,
              ),
            );
          const limit = statisticalLimit(
            baselineOfCrafted,
            type,
            from,
            p,
            kind === 'full' ? () => 0 : (m) => Math.floor(m / 2),
          );
          let latency: number | null = null;
          let early = false;
          // before the failure: nothing about the type may fire in the hour before
          for (let at = from - 60; at <= from; at += EVERY)
            if (judge(CRAFTED, at, today, history).alerts.some((a) => names(a.event_name).includes(type)))
              early = true;
          for (let at = from + EVERY; at <= Math.min(24 * 60, from + 8 * 60); at += EVERY) {
            if (judge(CRAFTED, at, today, history).alerts.some((a) => names(a.event_name).includes(type))) {
              latency = at - from;
              break;
            }
          }
          const perHour = expectedIn(baselineOfCrafted, type, from, from + 60);
          // the done-when bounds: a full stop of a type with 5 or more an hour within 1.5× its limit
          // (+10 min of schedule); half the page views within 3× the limit
          const bound =
            limit === null
              ? null
              : kind === 'full' && perHour >= 5
                ? 1.5 * limit + SLOT_MINUTES
                : kind === 'half' && config.source.mapping.events.pageView.includes(type)
                  ? 3 * limit + SLOT_MINUTES
                  : null;
          const pass = bound === null ? null : !early && latency !== null && latency <= bound;
          cases.push({ type, kind, hour, badDay, perHour, limit, latency, early, bound, pass });
        }

  // false alarms on the real days: the second week (a full week before each day), and apart the
  // days before it that have enough baseline days to be judged, but fewer than a week
  const outageFound: number[] = [];
  const knownFailure: Set<string> = new Set();
  const alarmsOver = (days: readonly string[]) => {
    const alarms: { day: string; at: string; check: string; event: string | null; message: string }[] = [];
    let evaluations = 0;
    for (const day of days) {
      const history = new Map([...real].filter(([d]) => d < day));
      for (let at = EVERY; at <= 24 * 60; at += EVERY) {
        evaluations++;
        const v = judge(day, at, real.get(day)!, history);
        for (const a of v.alerts) {
          const judgedAt = utc.instantOf(day, at);
          if (day === OUTAGE.day && judgedAt > OUTAGE.from && Date.parse(a.since) <= OUTAGE.to) {
            outageFound.push(judgedAt);
            continue;
          }
          if (a.check === 'intraday_null_client_rate' && day >= NULL_CLIENT_FAILURE_FROM) {
            knownFailure.add(day);
            continue;
          }
          alarms.push({ day, at: v.at, check: a.check, event: a.event_name, message: a.message });
        }
      }
    }
    return { days, evaluations, alarms };
  };
  const secondWeek = alarmsOver(falseAlarmDays);
  const { evaluations, alarms } = secondWeek;
  const youngDays = [...real.keys()].slice(config.intraday.minBaselineDays, 7);
  const young = alarmsOver(youngDays);
  const outageLatency = outageFound.length ? (Math.min(...outageFound) - OUTAGE.from) / 60_000 : null;

  // ---------------------------------------------------------------- report
  const fmt = (v: number | null) => (v === null ? '—' : String(Math.round(v)));
  if (opts.verbose)
    for (const c of cases)
      say(
        `${c.type.padEnd(24)} ${c.kind.padEnd(4)} ${String(c.hour).padStart(2)}:00 ${c.badDay ? 'bad day ' : 'clean   '} ${c.perHour.toFixed(1).padStart(6)}/h limit ${fmt(c.limit).padStart(4)} found ${fmt(c.latency).padStart(4)}${c.early ? ' EARLY' : ''}${c.pass === false ? '  FAIL' : ''}`,
      );
  say(
    '\nCrafted stops on 2025-03-09 (a copy of 02-23), minutes from the failure to the first alert naming the type,',
  );
  say(
    `judged every ${EVERY} min, silences of ${config.intraday.silence.floorMinutes} min or more; the limit at p = ${p} (Poisson at the clean baseline's rate).\n`,
  );
  say('| event type | per hour | stop | clean week: limit / found | with a bad day: limit / found |');
  say('|---|---|---|---|---|');
  for (const type of types)
    for (const kind of ['full', 'half'] as const) {
      const row = (bad: boolean) =>
        HOURS.map((h) => {
          const c = cases.find(
            (x) => x.type === type && x.kind === kind && x.hour === h && x.badDay === bad,
          )!;
          return `${h}h ${fmt(c.limit)}/${fmt(c.latency)}${c.pass === false ? '✗' : ''}`;
        }).join(', ');
      const perHour = cases
        .filter((x) => x.type === type && x.kind === kind && !x.badDay)
        .map((x) => x.perHour.toFixed(1));
      say(
        `| ${type} | ${perHour.join(', ')} | ${kind === 'full' ? 'full' : '50%'} | ${row(false)} | ${row(true)} |`,
      );
    }
  const judged = cases.filter((c) => c.pass !== null);
  const failed = judged.filter((c) => !c.pass);
  say(
    `\nWithin the bounds (full stops of ≥ 5/h: 1.5× limit + 10 min; 50% of page views: 3× limit + 10 min): ${judged.length - failed.length} of ${judged.length}`,
  );
  for (const c of failed)
    say(
      `  not within: ${c.type} ${c.kind} ${c.hour}:00${c.badDay ? ' (bad day)' : ''}: limit ${fmt(c.limit)}, found ${fmt(c.latency)}${c.early ? ', fired before the failure' : ''}`,
    );
  say(
    `\nFalse alarms over ${evaluations} evaluations of ${falseAlarmDays[0]} .. ${falseAlarmDays.at(-1)}: ${alarms.length}`,
  );
  for (const a of alarms) say(`  ${a.day} ${a.at} ${a.check} ${a.event ?? ''}: ${a.message}`);
  // a run's alerts, and the same alert again on the next runs: each counted once, at its first run
  const firstRuns = new Map<string, (typeof young.alarms)[number]>();
  for (const a of young.alarms) {
    const key = `${a.day} ${a.check} ${a.event}`;
    if (!firstRuns.has(key)) firstRuns.set(key, a);
  }
  say(
    `The first week's ${youngDays[0]} .. ${youngDays.at(-1)} (${config.intraday.minBaselineDays} to 6 baseline days): ${young.alarms.length} alarms in ${young.evaluations} evaluations, ${firstRuns.size} distinct`,
  );
  for (const a of firstRuns.values()) say(`  ${a.day} ${a.at} ${a.check} ${a.event ?? ''}: ${a.message}`);
  say(
    `The real outage of 03-07 (no event 10:48:09–13:42:38 UTC): first named ${outageLatency === null ? 'never' : `${Math.round(outageLatency)} min after it began`}`,
  );
  say(
    `The export's known null client id failure: named on ${[...knownFailure].sort().join(', ') || 'no day'}`,
  );
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ p, cases, evaluations, falseAlarms: alarms, firstWeek: young, outageLatency, knownFailure: [...knownFailure].sort() }, null, 2)}\n`,
    );
}

await main();
