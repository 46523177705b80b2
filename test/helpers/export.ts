/**
 * The real export (../shared/data/puffy) sent through the broker, and the
 * per-day state read back, for comparison with the reference figures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryOf } from '../../src/cli/context.ts';
import { type ReplayFormat, replay } from '../../src/replay/replay.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import type { RedisClient } from '../../src/state/redis.ts';
import { expectedDays, PUFFY_DIR } from './reference.ts';
import { kafka, redis, type TestSpace } from './stack.ts';

export const EXPECTED = expectedDays();
export const EXPECTED_TOTAL = [...EXPECTED.values()].reduce((n, d) => n + d.rows, 0);

export interface ReplayExportOptions {
  /** Another broker than the stack's (the fault tests run their own). */
  brokers?: string;
  skip?: number;
  limit?: number;
  /** Events per second (the replay command's --rate). */
  rate?: number;
}

export async function replayExport(
  space: TestSpace,
  format: ReplayFormat = 'json',
  options: ReplayExportOptions = {},
) {
  return replay({
    ...(options.skip ? { skip: options.skip } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.rate ? { rate: options.rate } : {}),
    kafka: kafka(options.brokers),
    topic: space.topic,
    paths: [PUFFY_DIR],
    format,
    ...(format === 'avro' ? { registry: registryOf(space.ctx) } : {}),
    clientIdFields: ['client_id', 'clientId'],
    partitions: 6,
  });
}

export interface DayFigures {
  events: number;
  revenueCents: number;
  purchases: number;
  duplicateTransactions: number;
  nullClients: number;
  clients: number;
  /** Default-plan violations, "event path rule" → events. */
  planViolations: Record<string, number>;
  funnel: { atc: number; checkout: number; purchase: number };
  sessions: number;
  /** The intraday slots summed: events by type, and events without a client id. */
  intraday: { byType: Record<string, number>; nullClients: number };
}

/** Where the state is: the stack's Redis, another one by URL (the chaos tests'), or a client (the cluster). */
export type StateAt = string | undefined | (() => RedisClient);
const connect = (at: StateAt): RedisClient => (typeof at === 'function' ? at() : redis(at));

/** What Redis holds for every day of the export, in the reference's shape. */
export async function stateFigures(namespace: string, at?: StateAt): Promise<Map<string, DayFigures>> {
  const r = connect(at);
  try {
    const state = new MonitorState(r, namespace);
    const out = new Map<string, DayFigures>();
    const intraday = await state.days.readIntraday([...EXPECTED.keys()]);
    for (const day of EXPECTED.keys()) {
      const s = await state.days.read(day);
      const slots = intraday.get(day)!;
      const total = (series: number[]) => series.reduce((a, b) => a + b, 0);
      out.set(day, {
        events: s.counters.events,
        revenueCents: s.counters.revenueCents,
        purchases: s.counters.purchases,
        duplicateTransactions: s.counters.duplicateTransactions,
        nullClients: s.counters.nullClient,
        clients: s.clients,
        planViolations: Object.fromEntries(
          s.violations.map((v) => [`${v.eventName} ${v.path} ${v.rule}`, v.count]),
        ),
        funnel: s.funnel,
        sessions: s.counters.sessions,
        intraday: {
          byType: Object.fromEntries([...slots.byType].map(([t, series]) => [t, total(series)])),
          nullClients: total(slots.nullClients),
        },
      });
    }
    return out;
  } finally {
    r.disconnect();
  }
}

export function expectedFigures(): Map<string, DayFigures> {
  const out = new Map<string, DayFigures>();
  for (const [day, d] of EXPECTED) {
    out.set(day, {
      events: d.rows,
      revenueCents: d.revenueCents,
      purchases: d.purchases,
      duplicateTransactions: d.duplicateTransactions,
      nullClients: d.nullClients,
      clients: d.clients,
      planViolations: d.planViolations,
      funnel: d.funnel,
      sessions: d.sessions,
      intraday: { byType: d.eventTypes, nullClients: d.nullClients },
    });
  }
  return out;
}

export async function totalEvents(namespace: string, at?: StateAt): Promise<number> {
  let n = 0;
  for (const f of (await stateFigures(namespace, at)).values()) n += f.events;
  return n;
}

export interface PhasedReplay {
  /** Resolves with the number of rows on the broker once phase `i` is produced; nothing more comes until release(i). */
  reached(i: number): Promise<number>;
  /** Produces the next phase. */
  release(i: number): void;
  /** The whole export sent. */
  done: Promise<unknown>;
}

/**
 * The export produced in phases, each by a producer of its own: the first
 * `ends[0]` rows at once, the rows up to `ends[i + 1]` after release(i), the
 * rest after the last release. A test that must act mid-stream (kill,
 * rebalance, fault) acts between phases, so "more events will arrive" is true
 * by construction, never a race with the producer; and no producer spans a
 * fault (kafkajs's idempotent producer does not survive a broker restart).
 */
export function phasedReplay(
  space: TestSpace,
  ends: number[],
  options: { format?: ReplayFormat; brokers?: string; rate?: number } = {},
): PhasedReplay {
  if (ends.some((e, i) => e <= (ends[i - 1] ?? 0) || e >= EXPECTED_TOTAL)) {
    throw new Error(`phase ends must rise and stay below ${EXPECTED_TOTAL}: ${ends.join(', ')}`);
  }
  const bounds = [0, ...ends, EXPECTED_TOTAL];
  const releases = ends.map(() => {
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    return { release, released };
  });
  const sent: Promise<unknown>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < bounds.length - 1; i++) {
    const gate = i === 0 ? Promise.resolve() : releases[i - 1]!.released;
    previous = Promise.all([previous, gate]).then(() =>
      replayExport(space, options.format ?? 'json', {
        ...(options.brokers ? { brokers: options.brokers } : {}),
        ...(options.rate ? { rate: options.rate } : {}),
        skip: bounds[i]!,
        limit: bounds[i + 1]! - bounds[i]!,
      }),
    );
    previous.catch(() => undefined); // awaited through `reached` and `done`
    sent.push(previous);
  }
  return {
    reached: (i) => sent[i]!.then(() => ends[i]!),
    release: (i) => releases[i]!.release(),
    done: sent.at(-1)!,
  };
}

/**
 * A monitoring config marking days of the export as special (in `dir`):
 * weekend sales on 02-23, 03-01–02 and 03-08 (a promotion), and 03-06 a
 * staff day to skip (a holiday). Returns its path.
 */
export function writeSpecialDaysConfig(dir: string): string {
  const file = join(dir, 'special-days.yaml');
  writeFileSync(
    file,
    [
      'baseline:',
      '  specialDays:',
      '    - { name: Weekend sale, kind: promotion, from: 2025-02-23, to: 2025-02-23 }',
      '    - { name: Weekend sale, kind: promotion, from: 2025-03-01, to: 2025-03-02 }',
      '    - { name: Weekend sale, kind: promotion, from: 2025-03-08, to: 2025-03-08 }',
      '    - { name: Staff day, kind: holiday, from: 2025-03-06, to: 2025-03-06, judge: skip }',
      '',
    ].join('\n'),
  );
  return file;
}
