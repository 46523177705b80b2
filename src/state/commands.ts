/**
 * The Lua scripts as typed commands: each defined once per connection from
 * its file in ./lua (scripts.ts), with the decoder of its reply beside it, so
 * no caller reads a script's reply by position.
 */
import type { DayCounters } from '../aggregation/day-counters.ts';
import { decodeCounters } from './counter-codec.ts';
import { APPLY_DAY_BATCH_KEYS, READ_DAY_KEYS } from './keys.ts';
import type { RedisClient } from './redis.ts';
import { loadScript } from './scripts.ts';
import { decodeViolations, type ViolationRecord } from './violation-codec.ts';

export type ApplyResult =
  | { status: 'applied'; watermark: number; duplicates: number }
  | { status: 'already_applied'; watermark: number }
  | { status: 'watermark_moved'; watermark: number }
  /** Nothing written: the day already counted these event ids (a retried send); the caller folds them as duplicates. */
  | { status: 'events_seen'; watermark: number; eventIds: string[] };

/** apply-day-batch.lua's reply: {1, wm, duplicates} | {0, wm} | {-1, wm} | {-2, wm, ids}. */
export function applyResultOf(reply: unknown): ApplyResult {
  const [code, watermark, third] = reply as [number, string, (number | string[])?];
  const w = Number(watermark);
  switch (code) {
    case 1:
      return { status: 'applied', watermark: w, duplicates: (third as number | undefined) ?? 0 };
    case 0:
      return { status: 'already_applied', watermark: w };
    case -2:
      return { status: 'events_seen', watermark: w, eventIds: third as string[] };
    default:
      return { status: 'watermark_moved', watermark: w };
  }
}

export interface DaySnapshot {
  day: string;
  counters: DayCounters;
  clients: number;
  funnel: { atc: number; checkout: number; purchase: number };
  closed: boolean;
  /** Tracking-plan violations of the day, most frequent first. */
  violations: ViolationRecord[];
}

/** read-day.lua's reply: counters (flat), clients, the three funnel stages, closed, violations (flat). */
export function snapshotOf(day: string, reply: unknown): DaySnapshot {
  const [flat, clients, atc, checkout, purchase, closed, contract] = reply as [
    string[],
    number,
    number,
    number,
    number,
    number,
    string[],
  ];
  return {
    day,
    counters: decodeCounters(flat),
    clients,
    funnel: { atc, checkout, purchase },
    closed: closed === 1,
    violations: decodeViolations(contract),
  };
}

/** remember-shapes.lua's reply: whether these were the namespace's first, how many it could not keep, the new ones. */
export function shapesReplyOf(reply: unknown): { first: boolean; untracked: number; fresh: string[] } {
  const [first, untracked, ...fresh] = reply as [number, number, ...string[]];
  return { first: first === 1, untracked, fresh };
}

export interface StateCommands {
  applyDayBatch(...args: (string | number)[]): Promise<unknown>;
  readDay(...args: string[]): Promise<unknown>;
  rememberShapes(key: string, ...args: (string | number)[]): Promise<unknown>;
  recordSightings(key: string, ...args: (string | number)[]): Promise<unknown>;
}

/** The connection with the scripts defined (once per connection). */
export function withCommands(redis: RedisClient): RedisClient & StateCommands {
  if (!('applyDayBatch' in redis)) {
    redis.defineCommand('applyDayBatch', {
      numberOfKeys: APPLY_DAY_BATCH_KEYS.length,
      lua: loadScript('apply-day-batch', APPLY_DAY_BATCH_KEYS),
    });
    redis.defineCommand('readDay', {
      numberOfKeys: READ_DAY_KEYS.length,
      lua: loadScript('read-day', READ_DAY_KEYS),
    });
    redis.defineCommand('rememberShapes', { numberOfKeys: 1, lua: loadScript('remember-shapes') });
    redis.defineCommand('recordSightings', { numberOfKeys: 1, lua: loadScript('record-sightings') });
  }
  return redis as RedisClient & StateCommands;
}
