/**
 * Writes the HTML reports of closed days into a folder: `<day>.html` per day
 * and `index.html` over the latest closed days. Reads the stored close-out
 * reports from Redis only; a day must be closed out first.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DayResolver } from '../../calendar/day-resolver.ts';
import type { MonitorConfig } from '../../config/monitor-config.ts';
import type { MonitorState } from '../../state/monitor-state.ts';
import { alertStats } from '../alert-stats.ts';
import { readWindow } from '../baseline.ts';
import { storedReports } from '../closeout.ts';
import { htmlAssets } from './assets.ts';
import { renderDayPage } from './day-page.ts';
import { renderIndexPage } from './index-page.ts';
import { CHART_MAX_DAYS, dayPageModel, metricSeries } from './page-model.ts';

/** Days the index lists (and charts), newest first. */
export const INDEX_DAYS = 90;

export interface HtmlWritten {
  pages: string[];
  index: string;
}

const pageName = (day: string) => `${day}.html`;

export async function writeHtmlReports(
  state: MonitorState,
  config: MonitorConfig,
  dir: string,
  days: string[],
): Promise<HtmlWritten> {
  mkdirSync(dir, { recursive: true });
  const assets = htmlAssets();
  const closed = await state.archive.recentClosedDays(INDEX_DAYS);
  const writing = new Set(days);
  const hasPage = (day: string) => writing.has(day) || existsSync(join(dir, pageName(day)));
  const link = (day: string | undefined) => (day && hasPage(day) ? { day, href: pageName(day) } : undefined);

  const pages: string[] = [];
  const sorted = [...days].sort();
  if (sorted.length) {
    // One read for every page: the chart windows and, before the first, the baseline look-back.
    const span = DayResolver.daysBetween(sorted[0]!, sorted.at(-1)!) + 1;
    const reports = await storedReports(
      state,
      DayResolver.lastDays(
        sorted.at(-1)!,
        span + CHART_MAX_DAYS + readWindow(sorted.at(-1)!, config.baseline).length,
      ),
    );
    const known = [...new Set([...closed, ...reports.keys()])].sort();
    for (const day of sorted) {
      const html = renderDayPage(
        dayPageModel(day, reports, config),
        {
          index: 'index.html',
          previous: link(known.filter((d) => d < day).at(-1)),
          next: link(known.find((d) => d > day)),
        },
        assets,
      );
      const file = join(dir, pageName(day));
      writeFileSync(file, html);
      pages.push(file);
    }
  }

  const listed = await storedReports(state, closed);
  const ascending = [...listed.keys()].sort();
  // Every calendar day from the oldest listed to the newest: a day not closed is a gap.
  const span = ascending.length
    ? DayResolver.lastDays(ascending.at(-1)!, DayResolver.daysBetween(ascending[0]!, ascending.at(-1)!) + 1)
    : [];
  const index = join(dir, 'index.html');
  writeFileSync(
    index,
    renderIndexPage(
      state.namespace,
      [...listed.values()].map((report) => ({ report, href: link(report.date)?.href })),
      metricSeries(span, listed, config),
      assets,
      alertStats(
        listed,
        (await state.feedback.read()).filter((f) => f.day >= (ascending[0] ?? '')),
      ),
    ),
  );
  return { pages, index };
}
