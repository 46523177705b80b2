/**
 * The scripts inlined into every report page, read once: Chart.js and its
 * annotation plugin (their browser builds, from node_modules) and the page
 * script that draws the charts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HtmlAssets } from './layout.ts';

const require = createRequire(import.meta.url);

/** A file beside a package's resolved entry point (its dist folder). */
const distFile = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), file);

let cached: HtmlAssets | undefined;

export function htmlAssets(): HtmlAssets {
  cached ??= {
    scripts: [
      readFileSync(distFile('chart.js', 'chart.umd.min.js'), 'utf8'),
      readFileSync(distFile('chartjs-plugin-annotation', 'chartjs-plugin-annotation.min.js'), 'utf8'),
      readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'charts.client.js'), 'utf8'),
    ],
  };
  return cached;
}
