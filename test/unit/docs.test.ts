/**
 * The generated docs are current (`npm run docs` writes them from the
 * declarations and schemas), and every alert points at its own section of the
 * runbooks: the rules' runbook_url, the close-out checks and the intraday checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generatedDocs, RUNBOOKS_FILE, ruleDocs } from '../../scripts/docs.ts';
import { CHECK_IDS } from '../../src/closeout/checks/registry.ts';
import { DEFAULT_RUNBOOK_BASE_URL } from '../../src/config/endpoints.ts';
import { MonitorConfigSchema, parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { runbookUrl } from '../../src/delivery/alertmanager.ts';
import { runbooksMarkdown } from '../../src/delivery/runbooks.ts';
import { INTRADAY_CHECK_IDS } from '../../src/intraday/checks.ts';
import { REPO_ROOT } from '../../stack/services.ts';

const doc = readFileSync(RUNBOOKS_FILE, 'utf8');
const headings = new Set([...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));

describe('the generated docs', () => {
  it.each([...generatedDocs()].map(([file, text]) => [file.slice(REPO_ROOT.length + 1), text]))(
    '%s is current: `npm run docs` writes it',
    (file, text) => {
      expect(readFileSync(join(REPO_ROOT, file), 'utf8')).toBe(text);
    },
  );

  it('every monitoring config example in the README is a valid config, as the monitor checks one at start', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const examples = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
      .map((m) => parse(m[1]!) as Record<string, unknown>)
      .filter((example) => Object.keys(example).every((key) => key in MonitorConfigSchema.in.shape));
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const example of examples)
      expect(() =>
        parseMonitorConfig(example, 'README', { checkIds: [...CHECK_IDS, ...INTRADAY_CHECK_IDS] }),
      ).not.toThrow();
  });

  it('the README lists every check, close-out and intraday, in its generated table', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const id of [...CHECK_IDS, ...INTRADAY_CHECK_IDS]) expect(readme).toContain(`| [\`${id}\`]`);
  });
});

describe('docs/runbooks.md', () => {
  it('is the runbooks of the rules and checks', () => {
    expect(doc).toBe(runbooksMarkdown(ruleDocs()));
  });

  it('has a section for every alert rule, close-out check and intraday check', () => {
    const ids = [...ruleDocs().map((r) => r.alert), ...CHECK_IDS, ...INTRADAY_CHECK_IDS];
    expect(ids.filter((id) => !headings.has(id.toLowerCase()))).toEqual([]);
  });

  it('gives every rule a description and a runbook_url at its section', () => {
    const rules = parse(readFileSync(join(REPO_ROOT, 'prometheus/rules/event-monitor.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
    };
    for (const r of rules.groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
      expect(r.annotations?.description, r.alert).toBeTruthy();
      expect(r.annotations?.runbook_url, r.alert).toBe(runbookUrl(DEFAULT_RUNBOOK_BASE_URL, r.alert!));
      expect(r.annotations?.runbook, r.alert).toBeUndefined();
    }
  });
});
