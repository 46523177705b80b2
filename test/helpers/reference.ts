/**
 * Expected per-day figures of a CSV export, computed the plain way (read every
 * row, count), independently of the monitor's code, for tests to compare with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { isbot } from 'isbot';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../stack/services.ts';

export const PUFFY_DIR = resolve(REPO_ROOT, '..', 'shared', 'data', 'puffy');

/** The fields the shop's default plan requires of every event (each planned event requires the same). */
const DEFAULT_PLAN_REQUIRED = (
  parseYaml(readFileSync(join(REPO_ROOT, 'config', 'tracking-plan.yml'), 'utf8')) as {
    events: { page_viewed: { schema: { required: string[] } } };
  }
).events.page_viewed.schema.required;

export interface ExpectedDay {
  rows: number;
  revenueCents: number;
  /** Each transaction id once, with the revenue of its earliest occurrence by timestamp. */
  revenueDedupCents: number;
  purchases: number;
  duplicateTransactions: number;
  nullClients: number;
  /** Distinct client ids with at least one event from a non-bot user agent. */
  clients: number;
  /** Events whose user agent is a bot's. */
  botEvents: number;
  /**
   * Violations of the shop's default tracking plan ("event path rule" → events):
   * every field it requires is an export column, so a column missing from a
   * day's header is missing from every event of that day.
   */
  planViolations: Record<string, number>;
  /** Distinct non-bot clients that reached each funnel stage. */
  funnel: { atc: number; checkout: number; purchase: number };
  /** Non-bot clients' runs of events with gaps of at most 30 minutes (the default session gap). */
  sessions: number;
  /** Events by event name. */
  eventTypes: Record<string, number>;
  header: string[];
}

const FUNNEL_STAGE: Record<string, 'atc' | 'checkout' | 'purchase'> = {
  product_added_to_cart: 'atc',
  checkout_started: 'checkout',
  checkout_completed: 'purchase',
};
const SESSION_GAP_MS = 30 * 60_000;

/** Runs of timestamps cut where two are more than the gap apart. */
function sessionsOf(timestamps: number[]): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let runs = sorted.length ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > SESSION_GAP_MS) runs++;
  return runs;
}

export function expectedDays(dir = PUFFY_DIR): Map<string, ExpectedDay> {
  const out = new Map<string, ExpectedDay>();
  const seenTx = new Map<string, Set<string>>();
  const firstTx = new Map<string, Map<string, { ts: string; cents: number }>>();
  const seenClients = new Map<string, Set<string>>();
  const funnels = new Map<string, Record<'atc' | 'checkout' | 'purchase', Set<string>>>();
  const visits = new Map<string, Map<string, number[]>>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const rows = parse(readFileSync(join(dir, file)), { columns: true, bom: true }) as Record<
      string,
      string
    >[];
    const header = Object.keys(rows[0] ?? {});
    for (const row of rows) {
      const day = row.timestamp!.slice(0, 10);
      if (!out.has(day)) {
        out.set(day, {
          rows: 0,
          revenueCents: 0,
          revenueDedupCents: 0,
          purchases: 0,
          duplicateTransactions: 0,
          nullClients: 0,
          clients: 0,
          botEvents: 0,
          planViolations: {},
          funnel: { atc: 0, checkout: 0, purchase: 0 },
          sessions: 0,
          eventTypes: {},
          header,
        });
        funnels.set(day, { atc: new Set(), checkout: new Set(), purchase: new Set() });
        visits.set(day, new Map());
        seenTx.set(day, new Set());
        firstTx.set(day, new Map());
        seenClients.set(day, new Set());
      }
      const d = out.get(day)!;
      d.rows++;
      d.eventTypes[row.event_name!] = (d.eventTypes[row.event_name!] ?? 0) + 1;
      for (const column of DEFAULT_PLAN_REQUIRED) {
        if (!(column in row)) {
          const triple = `${row.event_name} /${column} required`;
          d.planViolations[triple] = (d.planViolations[triple] ?? 0) + 1;
        }
      }
      const client = row.client_id ?? row.clientId ?? '';
      const bot = isbot(row.user_agent ?? '');
      if (bot) d.botEvents++;
      if (client === '') d.nullClients++;
      else if (!bot) {
        seenClients.get(day)!.add(client);
        const stage = FUNNEL_STAGE[row.event_name ?? ''];
        if (stage) funnels.get(day)![stage].add(client);
        const times = visits.get(day)!;
        times.set(client, [...(times.get(client) ?? []), Date.parse(row.timestamp!)]);
      }
      d.clients = seenClients.get(day)!.size;
      if (row.event_name === 'checkout_completed' && row.event_data) {
        const data = JSON.parse(row.event_data) as { transaction_id: string; revenue: number };
        d.purchases++;
        d.revenueCents += Math.round(data.revenue * 100);
        if (seenTx.get(day)!.has(data.transaction_id)) d.duplicateTransactions++;
        seenTx.get(day)!.add(data.transaction_id);
        const first = firstTx.get(day)!.get(data.transaction_id);
        const cents = Math.round(data.revenue * 100);
        if (!first || row.timestamp! < first.ts)
          firstTx.get(day)!.set(data.transaction_id, { ts: row.timestamp!, cents });
      }
    }
  }
  for (const [day, d] of out) {
    d.revenueDedupCents = [...firstTx.get(day)!.values()].reduce((a, t) => a + t.cents, 0);
    const f = funnels.get(day)!;
    d.funnel = { atc: f.atc.size, checkout: f.checkout.size, purchase: f.purchase.size };
    d.sessions = [...visits.get(day)!.values()].reduce((n, times) => n + sessionsOf(times), 0);
  }
  return out;
}
