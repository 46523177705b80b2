/**
 * Every check the monitor has, close-out and intraday, in one list: what
 * snoozes, feedback, the runbooks and the generated docs name. Pure.
 */
import type { CheckSource } from '../checks/model.ts';
import { CHECK_IDS } from '../closeout/checks/registry.ts';
import { INTRADAY_CHECK_IDS } from '../intraday/checks.ts';

export const ALL_CHECK_IDS: readonly string[] = [...CHECK_IDS, ...INTRADAY_CHECK_IDS];
if (new Set(ALL_CHECK_IDS).size !== ALL_CHECK_IDS.length) throw new Error('two checks share an id');

export const sourceOf = (id: string): CheckSource =>
  (INTRADAY_CHECK_IDS as readonly string[]).includes(id) ? 'intraday' : 'closeout';
