/**
 * The generated parts of the docs (see scripts/docs.ts): the table of every
 * check, close-out and intraday, from their declarations, and the
 * configuration reference, from the config schemas. Pure: Markdown out.
 */
import { z } from 'zod';
import { thresholdKeysOf } from '../closeout/checks/declaration.ts';
import { CHECKS } from '../closeout/checks/registry.ts';
import { DEFAULT_THRESHOLDS, MonitorConfigSchema, THRESHOLD_DOCS } from '../config/monitor-config.ts';
import { INTRADAY_CHECKS, playbookLimitOf } from '../intraday/checks.ts';

const BASELINE_DAYS = 7;
const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

/** Every check: its schedule, severity, kind, what it fires on (with the default limit) and its thresholds. */
export function checksTableMarkdown(): string {
  const rows = [
    '| Check | Runs | Severity | Kind | Fires when | Thresholds (default) |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of CHECKS) {
    const keys = thresholdKeysOf(c);
    const limit = c.kind === 'logical' || keys[0] === undefined ? null : DEFAULT_THRESHOLDS[keys[0]];
    const over = 'over' in c && c.over ? ` over \`${c.over}\`` : '';
    rows.push(
      `| [\`${c.id}\`](docs/runbooks.md#${c.id}) | close-out | ${c.severity} | ${c.kind}${over} | ${cell(c.playbook.title({ limit: typeof limit === 'number' ? limit : null, days: BASELINE_DAYS }))} | ${keys.map((k) => `\`${k}\` (${DEFAULT_THRESHOLDS[k] ?? 'not set'})`).join(', ') || '–'} |`,
    );
  }
  for (const c of INTRADAY_CHECKS) {
    const limit = playbookLimitOf(c, DEFAULT_THRESHOLDS.maxNullClientRate);
    rows.push(
      `| [\`${c.id}\`](docs/runbooks.md#${c.id}) | intraday | ${c.severity} | ${c.kind} | ${cell(c.playbook.title({ limit, days: BASELINE_DAYS }))} | [\`intraday.${c.parameters}\`](docs/configuration.md#intraday)${c.kind === 'null_rate' ? ', `maxNullClientRate`' : ''} |`,
    );
  }
  return rows.join('\n');
}

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return [...new Set(s.anyOf.map(typeOf))].join(' or ');
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(', ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && typeof s.additionalProperties === 'object')
    return `map of ${typeOf(s.additionalProperties)}`;
  if (s.pattern?.startsWith('^(\\/')) return 'JSON Pointer';
  return String(s.type ?? 'any');
}

function boundsOf(s: JsonSchema): string {
  const b: string[] = [];
  if (s.minimum !== undefined) b.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) b.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) b.push(`≤ ${s.maximum}`);
  return b.join(', ');
}

/** Settings whose keys are listed elsewhere: one row each, pointing there. */
const LISTED_ELSEWHERE: Readonly<Record<string, string>> = {
  thresholds: 'See [Thresholds](#thresholds) below',
  'overrides[].thresholds': 'Any [threshold](#thresholds): its value on these days',
  'overrides[].intraday':
    'Any key of `intraday.volume`, `.silence`, `.stepStop`, `.nullClient` (above): its value on these days',
};

/** One row per setting, depth first; an object's own description heads its rows, a list of objects' items follow it. */
function settingRows(s: JsonSchema, path: string[], out: string[]): void {
  const name = path.join('.');
  if (name in LISTED_ELSEWHERE) {
    out.push(`| \`${name}${name === 'thresholds' ? '.*' : ''}\` | | | | ${cell(LISTED_ELSEWHERE[name]!)} |`);
    return;
  }
  if (s.type === 'object' && s.properties) {
    if (path.length && s.description) out.push(`| \`${name}\` | object | | | ${cell(s.description)} |`);
    for (const [key, child] of Object.entries(s.properties)) settingRows(child, [...path, key], out);
    return;
  }
  if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
    out.push(
      `| \`${name}\` | list of object | ${cell(code(s.default ?? []))} | | ${cell(s.description ?? '')} |`,
    );
    const item = [...path.slice(0, -1), `${path.at(-1)}[]`];
    for (const [key, child] of Object.entries(s.items.properties)) settingRows(child, [...item, key], out);
    return;
  }
  const value = s.anyOf?.find((a) => a.type !== 'null') ?? s;
  const dflt = s.default === undefined ? '' : code(s.default);
  out.push(
    `| \`${path.join('.')}\` | ${cell(typeOf(s))} | ${cell(dflt)} | ${boundsOf(value)} | ${cell(s.description ?? value.description ?? '')} |`,
  );
}

/** The configuration reference: every setting of the monitoring config, then every threshold and the checks reading it. */
export function configurationMarkdown(): string {
  const schema = z.toJSONSchema(MonitorConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: string[] = [];
  for (const [section, s] of Object.entries(schema.properties ?? {})) {
    rows.push(
      '',
      `## ${section}`,
      '',
      '| Setting | Type | Default | Bounds | Meaning |',
      '|---|---|---|---|---|',
    );
    settingRows(s, [section], rows);
  }
  const readers = new Map<string, string[]>();
  for (const c of CHECKS)
    for (const k of thresholdKeysOf(c)) readers.set(k, [...(readers.get(k) ?? []), c.id]);
  readers.set('maxNullClientRate', [
    ...(readers.get('maxNullClientRate') ?? []),
    ...INTRADAY_CHECKS.filter((c) => c.kind === 'null_rate').map((c) => c.id),
  ]);
  const thresholds = Object.entries(THRESHOLD_DOCS).map(
    ([key, doc]) =>
      `| \`${key}\` | ${code(DEFAULT_THRESHOLDS[key as keyof typeof DEFAULT_THRESHOLDS])} | ${cell(doc)} | ${(readers.get(key) ?? []).map((id) => `[\`${id}\`](runbooks.md#${id})`).join(', ')} |`,
  );
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs` from the config schemas (src/config/monitor-config.ts): edit them, not this file. -->',
    '',
    'The monitoring config is one YAML or JSON file (`MONITOR_CONFIG_FILE`); every key is optional and',
    'an unknown key is an error that names the nearest valid one. `event-monitor config check` validates',
    'it; `event-monitor config show [--date YYYY-MM-DD]` prints it resolved (with a date: the thresholds and',
    'intraday parameters of that day, its overrides applied and named). Environment variables (brokers,',
    'Redis, sinks) are listed in the README.',
    ...rows,
    '',
    '## Thresholds',
    '',
    'Under `thresholds:`, and per weekday or date range under `overrides[].thresholds`; each applies to',
    "the close-out and the intraday checks alike. The intraday checks' parameters (`intraday.volume`,",
    '`.silence`, `.stepStop`, `.nullClient`) are overridden the same way, under `overrides[].intraday`.',
    '',
    '| Threshold | Default | Meaning | Read by |',
    '|---|---|---|---|',
    ...thresholds,
    '',
  ].join('\n');
}
