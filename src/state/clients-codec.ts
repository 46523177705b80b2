/**
 * A batch's clients as the apply script takes them (lua/includes/clients.lua),
 * and the one place besides that script that knows a client's stored value.
 *
 * Each client goes with the value it would have if it were new to the day,
 * and the counters go with what that would add (its channel, its sessions).
 * Most clients of a batch are new to the day, so the script stores that value
 * as it is; for a client already stored it merges instead and corrects the
 * counters. The per-client arithmetic thus runs here, where it is cheap, and
 * not in Redis's single thread.
 */

import {
  bump,
  type DayCounters,
  emptyCounters,
  SESSION_LENGTH_BUCKETS,
} from '../aggregation/day-counters.ts';
import { appendSessionRuns, type ClientVisits } from '../aggregation/day-delta.ts';
import { dictionary } from '../dictionary.ts';

const BOUNDS = SESSION_LENGTH_BUCKETS.filter((b) => b !== 'inf');

/** The session length bucket of a session `ms` long: its upper bound in seconds, or "inf". */
export function lengthBucketOf(ms: number): string {
  const seconds = ms / 1000;
  for (const upper of BOUNDS) if (seconds <= upper) return String(upper);
  return 'inf';
}

export interface EncodedClients {
  /** client, value as if new to the day, for each client */
  flat: string[];
  /** all runs ("start|last|pages|…", ascending, times since the base) of a client with more than two (the value keeps two) */
  more: Record<string, string>;
  /** what the clients add to the counters if all are new to the day */
  asNew: DayCounters;
}

/**
 * The ms a day's stored times count from: its midnight in UTC (whatever the
 * monitor's zone; a local day's times may fall before it and are then negative).
 */
export const dayBaseMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

export function encodeClients(
  clients: ReadonlyMap<string, ClientVisits>,
  baseMs: number,
  gapMs: number,
): EncodedClients {
  const flat: string[] = [];
  const more = dictionary<string>();
  const asNew = emptyCounters();
  const runs: number[] = [];
  for (const [client, c] of clients) {
    const channel = c.channel;
    bump(asNew.channels, channel);
    runs.length = 0;
    appendSessionRuns(runs, c.visits, gapMs);
    const n = runs[0]!;
    for (let r = 0; r < n; r++) {
      const start = runs[1 + 3 * r]!;
      const length = runs[2 + 3 * r]! - start;
      const pages = runs[3 + 3 * r]!;
      asNew.sessions++;
      asNew.sessionMs += length;
      asNew.sessionPages += pages;
      if (pages === 1) asNew.sessionBounces++;
      bump(asNew.sessionLengths, lengthBucketOf(length));
    }
    // Placed into an empty day, runs more than a gap apart: the latest is S, the one before P.
    // Stored as "n|first|start|length|pages[|start|length|pages]|channel" (lua/includes/clients.lua):
    // n sessions kept, S then P, times since the base; the first touch is the start of the
    // oldest run, so it is left empty unless a run older than the two kept holds it.
    const oldest = Math.max(0, n - 2);
    let value = `${n === 1 ? 1 : 2}|${oldest === 0 ? '' : c.firstMs - baseMs}`;
    for (let r = n - 1; r >= oldest; r--) {
      const start = runs[1 + 3 * r]!;
      value += `|${start - baseMs}|${runs[2 + 3 * r]! - start}|${runs[3 + 3 * r]}`;
    }
    flat.push(client, `${value}|${channel}`);
    if (n > 2) {
      const all: number[] = [];
      for (let r = 0; r < n; r++)
        all.push(runs[1 + 3 * r]! - baseMs, runs[2 + 3 * r]! - baseMs, runs[3 + 3 * r]!);
      more[client] = all.join('|');
    }
  }
  return { flat, more, asNew };
}
