/**
 * Tracking-plan checks over the report's contract section. Top-level
 * `required` of the configured expected fields is left to field health
 * (missing_columns, schema_drift with its alias hint), which already judges
 * exactly that, so one broken field does not alert twice.
 */
import { type ContractViolation, tripleId } from '../contract.ts';
import { count as n, pct } from '../format.ts';
import { type CheckContext, defineCheck, wholePct } from './declaration.ts';

const judged = (ctx: CheckContext): ContractViolation[] => {
  const owned = new Set(ctx.expectedFields.map((f) => `/${f}`));
  return (ctx.contract?.violations ?? []).filter((v) => !(v.rule === 'required' && owned.has(v.path)));
};

const describe = (v: ContractViolation) =>
  `${v.event_name} ${v.path || '(event)'} ${v.rule}: ${n(v.count)} events${v.share === null ? '' : ` (${pct(v.share)})`}`;

const listed = (vs: ContractViolation[], max = 5) =>
  vs.slice(0, max).map(describe).join('; ') + (vs.length > max ? `; and ${vs.length - max} more` : '');

export const CONTRACT_CHECKS = [
  defineCheck({
    id: 'contract_required_missing',
    severity: 'CRITICAL',
    kind: 'logical',
    reads: ['contractRequiredShare'],
    evaluate: (ctx) => {
      const limit = ctx.thresholds.contractRequiredShare;
      const hit = judged(ctx).filter(
        (v) => (v.rule === 'required' || v.rule === 'unplanned_event') && v.share !== null && v.share > limit,
      );
      if (!hit.length) return null;
      return {
        message: `Tracking plan broken on more than ${pct(limit)} of an event type: ${listed(hit)}`,
        value: hit.map(tripleId).join(', '),
        threshold: limit,
      };
    },
    playbook: {
      title: ({ limit }) => `Required properties missing, or unplanned events, above ${wholePct(limit)}`,
      investigate: [
        "Open the report's tracking-plan table: which event type, which property, since when (first seen)",
        'Read the sample messages at the Kafka coordinates listed (kcat -C -t TOPIC -p PARTITION -o OFFSET -c 1)',
        'Check the tracking code deployments around the first-seen time',
      ],
      resolution:
        'Fix the tracker, or, if the change is intended, update the tracking plan (plan check, then roll out)',
    },
  }),
  defineCheck({
    id: 'contract_new_violation',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: (ctx) => {
      const fresh = judged(ctx).filter((v) => v.new);
      if (!fresh.length) return null;
      return {
        message: `New tracking-plan violations since the previous day: ${listed(fresh)}`,
        value: fresh.length,
        threshold: 0,
      };
    },
    playbook: {
      title: () => 'New tracking-plan violations since the previous day',
      investigate: [
        "Open the report's tracking-plan table: rows marked new, worst first",
        'Read the sample messages at the Kafka coordinates listed',
        'Check recent tracking code deployments and plan changes (plan_version)',
      ],
      resolution: 'Fix the tracker, or tighten or relax the plan so it states what is intended',
    },
  }),
] as const;
