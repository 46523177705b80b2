/**
 * What every check shares, close-out or intraday: its severities, its
 * playbook and the fields of its declaration. The close-out's kinds
 * (closeout/checks/declaration.ts) and the intraday's (intraday/checks.ts)
 * extend `CheckCommon`; delivery, the runbooks and the docs read only this.
 * Pure, and imports nothing of ours.
 */
import { z } from 'zod';

export const SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { CRITICAL: 3, WARNING: 2, INFO: 1 };

/** Which schedule judges a check: the day once closed, or the day so far. */
export const CHECK_SOURCES = ['closeout', 'intraday'] as const;
export type CheckSource = (typeof CHECK_SOURCES)[number];

/**
 * The runbook that travels with an alert. The title renders the configured
 * threshold the check applied (`limit`) and the baseline's length in days.
 */
export interface Playbook {
  title: (p: { limit: number | null; days: number }) => string;
  investigate: readonly string[];
  resolution: string;
}

/** The fields every declaration has, whatever its schedule and kind. */
export interface CheckCommon<Id extends string> {
  id: Id;
  /** The severity it raises (an intraday check may raise less for a weaker finding; never more). */
  severity: Severity;
  playbook: Playbook;
}

/** The playbook as one line, for Alertmanager's and PagerDuty's runbook field. */
export function playbookLine(p: {
  title: string;
  investigate: readonly string[];
  resolution: string;
}): string {
  return `${p.title}. Investigate: ${p.investigate.map((s, i) => `(${i + 1}) ${s}`).join('; ')}. Resolution: ${p.resolution}.`;
}
