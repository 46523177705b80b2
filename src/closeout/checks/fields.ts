/** Field and schema health: client ids, expected fields, schema drift, timestamps. */
import { fieldNamesOf } from '../day-metrics.ts';
import { count as n, pct } from '../format.ts';
import { defineCheck, wholePct } from './declaration.ts';
import { missingFieldDrivers, nullClientDrivers } from './drivers.ts';

export const FIELD_CHECKS = [
  defineCheck({
    id: 'high_null_client_rate',
    severity: 'CRITICAL',
    kind: 'maximum',
    metric: 'null_client_rate',
    explain: nullClientDrivers,
    threshold: 'maxNullClientRate',
    message: (v, limit) => `NULL client_id rate (${pct(v)}) exceeds threshold (${pct(limit)})`,
    playbook: {
      title: ({ limit }) => `NULL client_id rate above ${wholePct(limit)}`,
      investigate: [
        'Check tracking code deployment history',
        'Review browser console for JS errors',
        'Check ad blocker/privacy tool adoption',
        'Verify cookie consent implementation',
      ],
      resolution: 'Typically requires a frontend engineering fix',
    },
  }),
  defineCheck({
    id: 'missing_columns',
    severity: 'CRITICAL',
    kind: 'logical',
    explain: missingFieldDrivers,
    evaluate: ({ metrics: m, expectedFields }) => {
      const missing = expectedFields.filter((f) => (m.missing_fields[f] ?? 0) > 0);
      if (!missing.length) return null;
      const detail = missing.map((f) => `${f} (${n(m.missing_fields[f]!)} events)`).join(', ');
      return { message: `Missing columns: ${detail}`, value: missing.join(','), threshold: 'none missing' };
    },
    playbook: {
      title: () => 'Schema change: expected fields missing',
      investigate: ['Check tracking code version', 'Review recent deployments', 'Contact frontend team'],
      resolution: 'Revert tracking code or update the pipeline to handle the new schema',
    },
  }),
  defineCheck({
    id: 'schema_drift',
    severity: 'WARNING',
    kind: 'logical',
    evaluate: ({ schema, previousSchema, fieldAliases }) => {
      if (!previousSchema) return null;
      const now = fieldNamesOf(schema);
      const before = fieldNamesOf(previousSchema);
      const added = [...now].filter((f) => !before.has(f)).sort();
      const removed = [...before].filter((f) => !now.has(f)).sort();
      const idsBefore = Object.keys(previousSchema.schema_ids);
      const newIds = Object.keys(schema.schema_ids)
        .sort()
        .filter((id) => !idsBefore.includes(id));
      if (!added.length && !removed.length && !newIds.length) return null;
      const parts = [
        added.length ? `new fields ${added.join(', ')}` : '',
        removed.length ? `gone ${removed.join(', ')}` : '',
        newIds.length ? `new schema ids ${newIds.join(', ')}` : '',
      ].filter(Boolean);
      const renamed = added.filter((a) => fieldAliases[a] && removed.includes(fieldAliases[a]));
      const hint = renamed.length
        ? ` (${renamed.map((a) => `${fieldAliases[a]} → ${a}`).join(', ')}: a rename)`
        : '';
      return {
        message: `Schema drift since the previous day: ${parts.join('; ')}${hint}`,
        value: parts.join('; '),
        threshold: 'no change',
      };
    },
    playbook: {
      title: () => 'Schema drift: the set of fields changed',
      investigate: [
        'Compare the field sets in the JSON report with the previous day',
        'Check tracking code version and recent deployments',
        'Check whether a field was renamed (an alias) rather than dropped',
      ],
      resolution:
        'Revert tracking code, or add the new name to ingest.fieldAliases and update downstream models',
    },
  }),
  defineCheck({
    id: 'invalid_timestamps',
    severity: 'CRITICAL',
    kind: 'logical',
    evaluate: ({ metrics: m }) => {
      const bad =
        (m.rejected.timestamp_missing ?? 0) +
        (m.rejected.timestamp_invalid ?? 0) +
        (m.rejected.timestamp_out_of_range ?? 0);
      if (bad === 0) return null;
      return {
        message: `${n(bad)} messages rejected for a missing, invalid or out-of-range timestamp`,
        value: bad,
        threshold: 0,
      };
    },
    playbook: {
      title: () => 'Events rejected for their timestamp',
      investigate: [
        'Read the rejected messages on the dead-letter topic (reason timestamp_missing, timestamp_invalid or timestamp_out_of_range)',
        'Out of range: an event older than ingest.maxPastDays (a replay of old data needs a larger value) or dated past the year 9999',
        'Check the tracker for a changed timestamp format or time zone',
      ],
      resolution:
        'Fix the tracker to send ISO-8601 timestamps with a zone; replay the dead letters once fixed',
    },
  }),
] as const;
