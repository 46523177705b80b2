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
  /** all runs ("start|last|pages|…", ascending) of a client with more than two (the value keeps two) */
  more: Record<string, string>;
  /** what the clients add to the counters if all are new to the day */
  asNew: DayCounters;
}

export function encodeClients(
  clients: ReadonlyMap<string, ClientVisits>,
  gapMs: number,
  channelOf: (pageUrl: string | null, referrer: string | null) => string,
): EncodedClients {
  const flat: string[] = [];
  const more: Record<string, string> = {};
  const asNew = emptyCounters();
  const runs: number[] = [];
  for (const [client, c] of clients) {
    const channel = channelOf(c.pageUrl, c.referrer);
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
    // placed into an empty day, runs more than a gap apart: the latest is S, the one before P.
    // The stored value: "n|first|start|last|pages[|start|last|pages]|channel", n (0–2)
    // sessions kept, S then P; the channel last, as it may hold any character.
    let value = `${n === 1 ? 1 : 2}|${c.firstMs}`;
    for (let r = n - 1; r >= 0 && r >= n - 2; r--)
      value += `|${runs[1 + 3 * r]}|${runs[2 + 3 * r]}|${runs[3 + 3 * r]}`;
    flat.push(client, `${value}|${channel}`);
    if (n > 2) more[client] = runs.slice(1).join('|');
  }
  return { flat, more, asNew };
}
