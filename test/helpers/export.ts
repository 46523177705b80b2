/**
 * The real export (../shared/data/puffy) sent through the broker, and the
 * per-day state read back, for comparison with the reference figures.
 */
import { DayState } from '../../src/aggregation/day-state.ts';
import { registryOf } from '../../src/cli/context.ts';
import { type ReplayFormat, replay } from '../../src/replay/replay.ts';
import { expectedDays, PUFFY_DIR } from './reference.ts';
import { kafka, redis, type TestSpace } from './stack.ts';

export const EXPECTED = expectedDays();
export const EXPECTED_TOTAL = [...EXPECTED.values()].reduce((n, d) => n + d.rows, 0);

export async function replayExport(space: TestSpace, format: ReplayFormat = 'json', rate?: number) {
  return replay({
    ...(rate ? { rate } : {}),
    kafka: kafka(),
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
}

/** What Redis holds for every day of the export, in the reference's shape. */
export async function stateFigures(namespace: string, redisUrl?: string): Promise<Map<string, DayFigures>> {
  const r = redis(redisUrl);
  try {
    const state = new DayState(r, namespace);
    const out = new Map<string, DayFigures>();
    for (const day of EXPECTED.keys()) {
      const s = await state.read(day);
      out.set(day, {
        events: s.counters.events ?? 0,
        revenueCents: s.counters.revenue_cents ?? 0,
        purchases: s.counters.purchases ?? 0,
        duplicateTransactions: s.counters.duplicate_transactions ?? 0,
        nullClients: s.counters.null_client ?? 0,
        clients: s.clients,
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
    });
  }
  return out;
}

export async function totalEvents(namespace: string, redisUrl?: string): Promise<number> {
  let n = 0;
  for (const f of (await stateFigures(namespace, redisUrl)).values()) n += f.events;
  return n;
}
