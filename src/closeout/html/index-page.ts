/**
 * The index of the HTML reports: every listed day's verdict and key figures,
 * newest first, linked to its page, and the key metrics across those days.
 * Pure.
 */

import type { CheckStats } from '../alert-stats.ts';
import type { Report } from '../report.ts';
import { formatValue, metricFigures } from './day-page.ts';
import { esc, type HtmlAssets, page, severityBadge, verdictSeverity } from './layout.ts';
import type { MetricSeries } from './page-model.ts';

export interface IndexEntry {
  report: Report;
  /** Link to the day's page; undefined when no page was written for it. */
  href?: string | undefined;
}

/**
 * @param entries closed days, any order
 * @param metrics the key metrics over those days, oldest first
 */
export function renderIndexPage(
  namespace: string,
  entries: IndexEntry[],
  metrics: MetricSeries[],
  assets: HtmlAssets,
  checkStats: readonly CheckStats[] = [],
): string {
  const rows = [...entries]
    .sort((a, b) => b.report.date.localeCompare(a.report.date))
    .map(({ report: r, href }) => {
      const live = r.alerts.filter((a) => !a.snoozed);
      const critical = live.filter((a) => a.severity === 'CRITICAL').length;
      const warning = live.filter((a) => a.severity === 'WARNING').length;
      const m = r.metrics;
      return `<tr data-day="${esc(r.date)}"><th scope="row">${href ? `<a href="${esc(href)}">${esc(r.date)}</a>` : esc(r.date)}</th>
<td>${severityBadge(verdictSeverity(r.verdict))}</td><td class="num">${critical}</td><td class="num">${warning}</td>
<td class="num">${formatValue(m.event_count, 'count')}</td><td class="num">${formatValue(m.revenue, 'money', m.currency ?? null)}</td><td class="num">${formatValue(m.conversions, 'count')}</td>
<td class="num">${formatValue(m.aov, 'money', m.currency ?? null)}</td><td class="num">${formatValue(m.null_client_rate, 'share')}</td>
<td>${esc([...new Set(live.map((a) => a.check))].join(', '))}</td></tr>`;
    });
  const body = `<main>
<header class="page">
<h1>Daily monitoring reports</h1>
<p class="meta">Namespace ${esc(namespace)} · ${entries.length} closed day${entries.length === 1 ? '' : 's'}</p>
</header>
<section aria-labelledby="days-h">
<h2 id="days-h">Days</h2>
<div class="table-wrap" role="region" tabindex="0" aria-label="Days"><table>
<caption>Verdict and key figures of each closed day, newest first</caption>
<thead><tr><th scope="col">Day</th><th scope="col">Verdict</th><th scope="col" class="num">Critical</th><th scope="col" class="num">Warnings</th><th scope="col" class="num">Events</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">Orders</th><th scope="col" class="num">AOV</th><th scope="col" class="num">No client id</th><th scope="col">Alerts</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>
${checkStatsSection(checkStats)}
${metrics.length && metrics[0]!.points.length ? metricFigures(metrics, 'Across these days') : ''}
<footer>Written by event-monitor from the stored close-out reports.</footer>
</main>`;
  return page({
    title: `Daily monitoring reports · ${namespace} · event-monitor`,
    body,
    data: { day: null, metrics },
    assets,
  });
}

/** Monitoring the monitor: per check, days fired, people's verdicts and days to quiet (see alert-stats.ts). */
function checkStatsSection(stats: readonly CheckStats[]): string {
  if (!stats.length) return '';
  const share = (v: number | null) => (v === null ? '–' : formatValue(v, 'share'));
  const rows = stats.map(
    (
      s,
    ) => `<tr><th scope="row">${esc(s.check)}</th><td class="num">${s.alert_days}</td><td class="num">${s.false_positive}</td>
<td class="num">${share(s.false_positive_share)}</td><td class="num">${s.incident}</td><td class="num">${s.expected}</td>
<td class="num">${s.mean_days_to_quiet === null ? '–' : `${s.mean_days_to_quiet} d`}</td></tr>`,
  );
  return `<section aria-labelledby="checks-h">
<h2 id="checks-h">How the checks behave</h2>
<p>Per check over these days: how often it fired, what people said of it (<code>event-monitor feedback</code>), and how long it took to go quiet again. A high false-positive share says its threshold needs a look.</p>
<div class="table-wrap" role="region" tabindex="0" aria-label="How the checks behave"><table>
<caption>Alerts and feedback per check</caption>
<thead><tr><th scope="col">Check</th><th scope="col" class="num">Days fired</th><th scope="col" class="num">False positives</th><th scope="col" class="num">Share</th><th scope="col" class="num">Incidents</th><th scope="col" class="num">Expected</th><th scope="col" class="num">Days to quiet</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}
