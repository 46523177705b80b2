/**
 * `npm run docs`: writes the generated documentation (docs/runbooks.md) from
 * the declarations; the test command fails when it is not current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type RuleDoc, runbooksMarkdown } from '../src/delivery/runbooks.ts';
import { REPO_ROOT } from '../stack/services.ts';

interface RulesFile {
  groups: {
    rules: {
      alert?: string;
      expr: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
}

export const RUNBOOKS_FILE = join(REPO_ROOT, 'docs/runbooks.md');

/** The alert rules as the runbooks describe them. */
export function ruleDocs(): RuleDoc[] {
  const file = parse(
    readFileSync(join(REPO_ROOT, 'prometheus/rules/event-monitor.yml'), 'utf8'),
  ) as RulesFile;
  return file.groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert)
    .map((r) => ({
      alert: r.alert!,
      severity: r.labels?.severity ?? '',
      summary: r.annotations?.summary ?? '',
      description: r.annotations?.description ?? '',
      expr: r.expr,
    }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(RUNBOOKS_FILE, runbooksMarkdown(ruleDocs()));
  console.log(`wrote ${RUNBOOKS_FILE}`);
}
