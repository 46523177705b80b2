/**
 * Every close-out check, in report order: one declaration each, grouped by
 * family. CheckId is the union of their ids; config validation, snoozes and
 * playbooks all go through here. Pure.
 */
import { playbookLine } from '../../checks/model.ts';
import { INTRADAY_CHECKS } from '../../intraday/checks.ts';
import type { Report } from '../report.ts';
import { CHANNEL_CHECKS } from './channels.ts';
import { COMMERCE_CHECKS } from './commerce.ts';
import { CONTRACT_CHECKS } from './contract.ts';
import type { Alert, CheckDeclaration, ThresholdKey } from './declaration.ts';
import { FIELD_CHECKS } from './fields.ts';
import { FUNNEL_CHECKS } from './funnel.ts';
import { STATE_CHECKS } from './state.ts';
import { TRAFFIC_MIX_CHECKS } from './traffic-mix.ts';
import { VOLUME_CHECKS } from './volume.ts';

export const CHECKS = [
  ...VOLUME_CHECKS,
  ...FIELD_CHECKS,
  ...CONTRACT_CHECKS,
  ...COMMERCE_CHECKS,
  ...FUNNEL_CHECKS,
  ...CHANNEL_CHECKS,
  ...TRAFFIC_MIX_CHECKS,
  ...STATE_CHECKS,
] as const;

export type CheckId = (typeof CHECKS)[number]['id'];
export const CHECK_IDS: readonly CheckId[] = CHECKS.map((c) => c.id);

const BY_ID = new Map<string, CheckDeclaration>(CHECKS.map((c) => [c.id, c]));
if (BY_ID.size !== CHECKS.length) throw new Error('two checks share an id');

/**
 * Checks about a metric, the close-out's and the intraday schedule's: an
 * incident any of them raised keeps a day out of the metric's baselines, and
 * the HTML report marks their alerts on its chart.
 */
export const checksAbout = (metric: string): string[] => [
  ...CHECKS.filter((c) => c.metric === metric).map((c) => c.id),
  ...INTRADAY_CHECKS.filter((c) => c.about.includes(metric)).map((c) => c.id),
];

/** The z-score check of a metric, if one is declared. */
export const zScoreCheckOf = (metric: string): string | undefined =>
  CHECKS.find((c) => c.kind === 'zscore' && c.metric === metric)?.id;

/** The threshold the check of this kind about a metric reads (its z-score's std, its maximum), if one is declared. */
export function thresholdOf(metric: string, kind: 'zscore' | 'maximum'): ThresholdKey | undefined {
  const c = CHECKS.find((c) => c.kind === kind && c.metric === metric);
  return c && 'threshold' in c ? c.threshold : undefined;
}

export type RenderedPlaybook = Parameters<typeof playbookLine>[0];

/**
 * The alert's playbook, its title showing the threshold the check applied that
 * day and the length of the baseline it was judged against (both from the report).
 */
export function playbookFor(
  alert: Pick<Alert, 'check' | 'threshold'>,
  report: Report,
): RenderedPlaybook | null {
  const check = BY_ID.get(alert.check);
  if (!check) return null;
  const stored = check.metric ? report.baselines[check.metric] : undefined;
  const configured = stored?.thresholds?.[check.id];
  const limit = configured ?? (typeof alert.threshold === 'number' ? alert.threshold : null);
  const days = stored?.n ?? Math.max(0, ...Object.values(report.baselines).map((b) => b?.n ?? 0));
  const { title, investigate, resolution } = check.playbook;
  return { title: title({ limit, days }), investigate, resolution };
}

/** The playbook as one line, for Alertmanager's and PagerDuty's runbook field. */
export function runbookText(alert: Pick<Alert, 'check' | 'threshold'>, report: Report): string {
  const p = playbookFor(alert, report);
  return p ? playbookLine(p) : '';
}
