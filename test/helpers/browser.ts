/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Opens HTML reports in headless Chromium (Debian's, driven by playwright-core)
 * and reads back what a reader would see: the charts as drawn (pixels and the
 * chart's own scales), the alert list, every request the page made, script
 * errors, and a screenshot kept under test-artifacts/html/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { REPO_ROOT } from '../../stack/services.ts';

export const SCREENSHOTS = join(REPO_ROOT, 'test-artifacts', 'html');

/** axe-core's browser build, injected inline (no request) to audit a page against WCAG 2.1 A and AA. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // This machine has no network: without these, Chromium keeps trying to reach Google.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Colours charts.client.js draws with: the series (line and bars) and the alert marks. */
export const MARK = { VALUE: [0, 114, 178], CRITICAL: [164, 14, 38], WARNING: [179, 98, 0] } as const;

export interface ChartSeen {
  /** data-metric of a key metric's canvas, or funnel / channels. */
  name: string;
  width: number;
  height: number;
  /** Pixels drawn (not transparent). */
  painted: number;
  /** Pixels in the series colour and in each alert mark colour. */
  marks: { VALUE: number; CRITICAL: number; WARNING: number };
  /** For key metrics, the page's day: its value and band edges as canvas y pixels (down is larger). */
  day?: {
    value: number | null;
    y: number | null;
    lowerY: number | null;
    upperY: number | null;
    limitY: number | null;
  };
}

export interface PageSeen {
  url: string;
  requests: string[];
  errors: string[];
  chartsDrawn: number;
  charts: ChartSeen[];
  alerts: { check: string; severity: string; text: string }[];
  /** The page is wider than the viewport: the reader would have to scroll sideways. */
  scrollsSideways: boolean;
  /** axe-core's WCAG 2.1 A/AA violations, when audited. */
  violations?: { id: string; impact: string | null; help: string; nodes: string[] }[];
  screenshot: string;
}

export async function openReport(
  browser: Browser,
  file: string,
  o: { name: string; width?: number; height?: number; audit?: boolean },
): Promise<PageSeen> {
  const context = await browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const url = pathToFileURL(file).href;
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.chartsDrawn !== undefined, null, {
      timeout: 15_000,
    });
    const seen = await page.evaluate((mark) => {
      const near = (r: number, g: number, b: number, c: readonly number[]) =>
        Math.abs(r - c[0]!) < 24 && Math.abs(g - c[1]!) < 24 && Math.abs(b - c[2]!) < 24;
      // Chart.js's own registry: the drawn chart behind each canvas.
      const ChartJs = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): unknown } }).Chart;
      const charts = [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')].map((canvas) => {
        const ctx = canvas.getContext('2d')!;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        const marks = { VALUE: 0, CRITICAL: 0, WARNING: 0 };
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! === 0) continue;
          painted++;
          if (near(data[i]!, data[i + 1]!, data[i + 2]!, mark.VALUE)) marks.VALUE++;
          if (near(data[i]!, data[i + 1]!, data[i + 2]!, mark.CRITICAL)) marks.CRITICAL++;
          if (near(data[i]!, data[i + 1]!, data[i + 2]!, mark.WARNING)) marks.WARNING++;
        }
        const name = canvas.dataset.metric ?? canvas.dataset.chart!;
        const chart = ChartJs.getChart(canvas) as {
          scales: { y: { getPixelForValue(v: number): number } };
          data: { datasets: { label: string; data: (number | null)[] }[] };
        };
        let day: ChartSeen['day'];
        if (canvas.dataset.chart === 'metric') {
          const report = JSON.parse(document.getElementById('report-data')!.textContent!);
          const series = report.metrics.find((m: { key: string }) => m.key === name);
          const p = series.points.at(-1);
          const y = (v: number | null) => (v === null ? null : chart.scales.y.getPixelForValue(v));
          day = { value: p.value, y: y(p.value), lowerY: y(p.lower), upperY: y(p.upper), limitY: y(p.limit) };
        }
        return { name, width: canvas.width, height: canvas.height, painted, marks, day };
      });
      const alerts = [...document.querySelectorAll<HTMLElement>('ol.alerts > li')].map((li) => ({
        check: li.dataset.check!,
        severity: li.dataset.severity!,
        text: li.innerText,
      }));
      return {
        chartsDrawn: Number(document.documentElement.dataset.chartsDrawn),
        charts,
        alerts,
        scrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
      };
    }, MARK);
    let violations: PageSeen['violations'];
    if (o.audit) {
      await page.addScriptTag({ content: AXE });
      violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: Violation[] }> } })
          .axe;
        interface Violation {
          id: string;
          impact: string | null;
          help: string;
          nodes: { target: string[] }[];
        }
        const result = await axe.run({
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        });
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.target.join(' ')),
        }));
      });
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    const screenshot = join(SCREENSHOTS, `${o.name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { url, requests, errors, screenshot, ...seen, ...(violations ? { violations } : {}) };
  } finally {
    await context.close();
  }
}
