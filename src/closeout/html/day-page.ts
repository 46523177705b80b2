/**
 * One day's HTML report: the verdict and its alerts with their playbooks
 * first, then the key metrics against their band over the chart window, the
 * funnel and channels against the baseline, and the field health. Every chart
 * has a table with the same figures beside it. Pure.
 */

import { overridesLine } from '../../config/day-rules.ts';
import { clockOf, count, localMinuteOf, money, pct } from '../format.ts';
import { specialDayLine, weekdayName } from '../text-report.ts';
import { esc, type HtmlAssets, page, severityBadge, verdictSeverity } from './layout.ts';
import type {
  AlertView,
  DayPageModel,
  FieldHealthRow,
  MetricSeries,
  ShareRow,
  ValueFormat,
} from './page-model.ts';

export function formatValue(
  v: number | null | undefined,
  format: ValueFormat,
  currency: string | null = null,
): string {
  if (v === null || v === undefined) return 'n/a';
  return format === 'money' ? money(v, currency) : format === 'share' ? pct(v) : count(v);
}

export interface DayLinks {
  index: string;
  previous?: { day: string; href: string } | undefined;
  next?: { day: string; href: string } | undefined;
}

export function renderDayPage(model: DayPageModel, links: DayLinks, assets: HtmlAssets): string {
  const r = model.report;
  const body = `<main>
<header class="page">
<h1>Daily monitoring report: ${esc(r.date)}</h1>
<p class="meta">Namespace ${esc(r.namespace)} · days in ${esc(r.timezone)} · closed out ${esc(r.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</p>
<nav class="days" aria-label="Other days">
${links.previous ? `<a href="${esc(links.previous.href)}" rel="prev">← ${esc(links.previous.day)}</a>` : ''}
<a href="${esc(links.index)}">All days</a>
${links.next ? `<a href="${esc(links.next.href)}" rel="next">${esc(links.next.day)} →</a>` : ''}
</nav>
</header>
${verdictSection(model)}
${tiles(model)}
${chartsSection(model)}
${funnelSection(model)}
${channelSection(model)}
${fieldSection(model)}
${gapSection(model)}
${intradaySection(model)}
${contractSectionHtml(model)}
${trafficSection(model)}
<footer>Written by event-monitor from the stored close-out reports. Bands are the ${esc(model.meanLabel.replace(' mean', ''))} baselines the close-out judged each day against; a triangle marks a day where an alert about the metric fired.</footer>
</main>`;
  return page({
    title: `${r.date}: ${r.verdict.toUpperCase()} · event-monitor`,
    body,
    data: {
      day: r.date,
      window: model.window,
      metrics: model.metrics,
      funnel: model.funnel,
      channels: model.channels,
      meanLabel: model.meanLabel,
    },
    assets,
  });
}

function verdictSection(model: DayPageModel): string {
  const r = model.report;
  const live = model.alerts.filter((a) => !a.snoozed);
  const critical = live.filter((a) => a.severity === 'CRITICAL').length;
  const warning = live.filter((a) => a.severity === 'WARNING').length;
  const summary =
    critical + warning === 0
      ? 'All checks passed.'
      : [
          critical ? `${critical} critical alert${critical > 1 ? 's' : ''}` : '',
          warning ? `${warning} warning${warning > 1 ? 's' : ''}` : '',
        ]
          .filter(Boolean)
          .join(', ');
  return `<section aria-labelledby="verdict-h">
<h2 id="verdict-h">Verdict</h2>
<div class="verdict verdict-${r.verdict}" role="status">${severityBadge(verdictSeverity(r.verdict))}<p>${esc(summary)}</p></div>
${model.alerts.length ? `<ol class="alerts" aria-label="Alerts, most severe first">${model.alerts.map(alertItem).join('\n')}</ol>` : ''}
${model.baselineDays === 0 && !model.report.special_day ? '<p class="note">No baseline yet: fewer closed days before this one than the baseline needs, so no z-score checks ran.</p>' : ''}${seasonalNote(model)}${model.report.overrides.length ? `<p class="note">${esc(overridesLine(model.report.overrides))}</p>` : ''}
</section>`;
}

function alertItem(a: AlertView): string {
  const pb = a.playbook;
  return `<li class="sev-${a.severity.toLowerCase()}" data-check="${esc(a.check)}" data-severity="${a.severity}">
<div class="alert-head">${severityBadge(a.severity)}<h3>${esc(pb?.title ?? a.check)}</h3><code>${esc(a.check)}</code>${a.snoozed ? '<span class="badge badge-info">snoozed: reported, not notified</span>' : ''}</div>
<p class="alert-message">${esc(a.message)}</p>
${
  pb
    ? `<p><strong>What to do:</strong> ${esc(pb.resolution)}</p>
<details><summary>How to investigate</summary><ul>${pb.investigate.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></details>`
    : ''
}
</li>`;
}

function tiles(model: DayPageModel): string {
  const items = model.metrics.map((s) => {
    const today = s.points.at(-1)!;
    const z = s.key === 'null_client_rate' ? null : model.report.zscores[s.key];
    const base =
      today.limit !== null
        ? `alert above ${formatValue(today.limit, s.format, s.currency)}`
        : today.mean !== null
          ? `${model.meanLabel} ${formatValue(today.mean, s.format, s.currency)}${z ? `, z = ${z.z.toFixed(2)}` : ''}`
          : 'no baseline yet';
    return `<div class="tile${today.alert ? ' alerting' : ''}">
<div class="label">${esc(s.label)}</div>
<div class="value">${esc(formatValue(today.value, s.format, s.currency))}</div>
<div class="base">${esc(base)}</div>
${today.alert ? severityBadge(today.alert.severity) : ''}
</div>`;
  });
  return `<section aria-label="Key figures of the day"><div class="tiles">${items.join('\n')}</div></section>`;
}

function chartsSection(model: DayPageModel): string {
  return metricFigures(model.metrics, `The last ${model.window.length} days`);
}

/** A chart per key metric, each with a summary in words and a table of its figures. */
export function metricFigures(metrics: MetricSeries[], heading: string): string {
  const figures = metrics.map((s) => {
    const first = s.points[0]!.date;
    const today = s.points.at(-1)!;
    const last = today.date;
    const summary = `${s.label} from ${first} to ${last}. On ${last}: ${formatValue(today.value, s.format, s.currency)}${
      today.limit !== null
        ? `, alert above ${formatValue(today.limit, s.format, s.currency)}`
        : today.mean !== null
          ? `, band ${formatValue(today.lower, s.format, s.currency)} to ${formatValue(today.upper, s.format, s.currency)} around a mean of ${formatValue(today.mean, s.format, s.currency)}`
          : ', no baseline yet'
    }${today.alert ? `; ${today.alert.severity} alert ${today.alert.check}` : ''}.`;
    const rows = s.points
      .filter((p) => p.value !== null)
      .map(
        (p) =>
          `<tr${p.date === last ? ' aria-current="date"' : ''}><th scope="row">${esc(p.date)}</th><td class="num">${esc(formatValue(p.value, s.format, s.currency))}</td><td class="num">${esc(
            p.limit !== null
              ? `≤ ${formatValue(p.limit, s.format, s.currency)}`
              : p.mean !== null
                ? `${formatValue(p.lower, s.format, s.currency)} – ${formatValue(p.upper, s.format, s.currency)}`
                : 'n/a',
          )}</td><td>${p.alert ? `${esc(p.alert.severity)} ${esc(p.alert.check)}` : ''}</td></tr>`,
      );
    return `<figure class="chart" data-metric="${s.key}">
<figcaption id="cap-${s.key}">${esc(s.label)}</figcaption>
<div class="canvas-box"><canvas data-chart="metric" data-metric="${s.key}" role="img" aria-labelledby="cap-${s.key}" aria-describedby="desc-${s.key}"></canvas></div>
<p class="note" id="desc-${s.key}">${esc(summary)}</p>
<details><summary>Table</summary><div class="table-wrap" role="region" tabindex="0" aria-label="${esc(s.label)} by day"><table>
<thead><tr><th scope="col">Day</th><th scope="col" class="num">${esc(s.label)}</th><th scope="col" class="num">${esc(s.bandLabel)}</th><th scope="col">Alert</th></tr></thead>
<tbody>${rows.join('')}</tbody></table></div></details>
</figure>`;
  });
  return `<section aria-labelledby="charts-h">
<h2 id="charts-h">${esc(heading)}</h2>
<div class="charts">${figures.join('\n')}</div>
</section>`;
}

function shareTable(caption: string, rows: ShareRow[], nameHeader: string, meanLabel: string): string {
  return `<div class="table-wrap" role="region" tabindex="0" aria-label="${esc(caption)}"><table><caption>${esc(caption)}</caption>
<thead><tr><th scope="col">${esc(nameHeader)}</th><th scope="col" class="num">This day</th><th scope="col" class="num">${esc(meanLabel)}</th><th scope="col" class="num">Change (points)</th></tr></thead>
<tbody>${rows
    .map(
      (row) =>
        `<tr><th scope="row">${esc(row.name)}</th><td class="num">${pct(row.today)}</td><td class="num">${row.baseline === null ? 'n/a' : pct(row.baseline)}</td><td class="num">${
          row.baseline === null
            ? 'n/a'
            : `${row.today >= row.baseline ? '+' : '−'}${(Math.abs(row.today - row.baseline) * 100).toFixed(1)}`
        }</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

function barsFigure(
  id: 'funnel' | 'channels',
  title: string,
  rows: ShareRow[],
  table: string,
  meanLabel: string,
): string {
  const described = rows
    .map((r) => `${r.name} ${pct(r.today)}${r.baseline === null ? '' : ` (${meanLabel} ${pct(r.baseline)})`}`)
    .join('; ');
  return `<figure class="chart bars" data-chart-figure="${id}">
<figcaption id="cap-${id}">${esc(title)}</figcaption>
<div class="canvas-box" style="height:${Math.max(160, 40 + rows.length * 34)}px"><canvas data-chart="${id}" role="img" aria-labelledby="cap-${id}" aria-describedby="desc-${id}"></canvas></div>
<p class="note" id="desc-${id}">${esc(described)}.</p>
${table}
</figure>`;
}

function funnelSection(model: DayPageModel): string {
  const m = model.report.metrics;
  return `<section aria-labelledby="funnel-h">
<h2 id="funnel-h">Funnel</h2>
<p class="note">Share of the day's ${count(m.clients)} clients who reached each step.</p>
${barsFigure('funnel', `Funnel: share of clients, this day and the ${model.meanLabel}`, model.funnel, shareTable('Funnel steps', model.funnel, 'Step', model.meanLabel), model.meanLabel)}
</section>`;
}

function channelSection(model: DayPageModel): string {
  return `<section aria-labelledby="channels-h">
<h2 id="channels-h">Channels</h2>
<p class="note">Share of clients by the channel of their first event of the day.</p>
${barsFigure('channels', `Channel share of clients, this day and the ${model.meanLabel}`, model.channels, shareTable('Channels', model.channels, 'Channel', model.meanLabel), model.meanLabel)}
</section>`;
}

const STATUS_TEXT: Record<FieldHealthRow['status'], string> = {
  missing: 'MISSING',
  problems: 'bad values',
  renamed: 'renamed',
  ok: 'ok',
};

const kinds = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${count(v)}`)
    .join(', ');

function fieldSection(model: DayPageModel): string {
  const rows = model.fields.map(
    (
      f,
    ) => `<tr class="row-${f.status}"><th scope="row"><code>${esc(f.field)}</code>${f.expected ? '' : ' <span class="note">(not expected)</span>'}</th>
<td>${esc(STATUS_TEXT[f.status])}</td><td class="num">${count(f.missing)}</td><td class="num">${pct(f.missingShare)}</td><td>${esc(kinds(f.aliased))}</td><td>${esc(kinds(f.problems))}</td></tr>`,
  );
  const rejected = Object.entries(model.rejected).sort((a, b) => b[1] - a[1]);
  return `<section aria-labelledby="fields-h">
<h2 id="fields-h">Field health</h2>
<div class="table-wrap" role="region" tabindex="0" aria-label="Field health"><table>
<caption>Fields of the day's ${count(model.report.metrics.event_count)} accepted events</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Status</th><th scope="col" class="num">Events without it</th><th scope="col" class="num">Share</th><th scope="col">Sent as</th><th scope="col">Value problems</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
${
  rejected.length
    ? `<div class="table-wrap" role="region" tabindex="0" aria-label="Rejected messages"><table><caption>Rejected messages (sent to the dead-letter topic)</caption>
<thead><tr><th scope="col">Reason</th><th scope="col" class="num">Messages</th></tr></thead>
<tbody>${rejected.map(([k, v]) => `<tr><th scope="row">${esc(k.replace(/_/g, ' '))}</th><td class="num">${count(v)}</td></tr>`).join('')}</tbody></table></div>`
    : '<p class="note">No message was rejected on this day.</p>'
}
</section>`;
}

/** The day's unlikely spans without any event: when the site or the stream went dark. */
function gapSection(model: DayPageModel): string {
  const gaps = model.report.gaps;
  if (!gaps.length) return '';
  const rows = gaps.map(
    (g) =>
      `<tr><th scope="row">${g.event_name === null ? '<strong>All events</strong>' : `<code>${esc(g.event_name)}</code>`}</th><td>${esc(g.local_start)}–${esc(g.local_end)}</td><td class="num">${count(g.minutes)}</td><td class="num">${esc(g.expected.toFixed(1))}</td><td class="num">${esc(g.p.toExponential(1))}</td></tr>`,
  );
  return `<section aria-labelledby="gaps-h">
<h2 id="gaps-h">Gaps</h2>
<p class="meta">Spans without a single event, from the last event before to the first after, where the baseline days had events (at this day's level). Local times of the day.</p>
<div class="table-wrap" role="region" tabindex="0" aria-label="Gaps"><table>
<caption>Spans without any event the baseline days make unlikely</caption>
<thead><tr><th scope="col">Events</th><th scope="col">From–to</th><th scope="col" class="num">Minutes</th><th scope="col" class="num">Expected</th><th scope="col" class="num">Chance</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

/**
 * What the intraday schedule raised during the day, on a timeline of the
 * day: each bar runs from when the condition began to the last run that
 * still raised it.
 */
function intradaySection(model: DayPageModel): string {
  const r = model.report;
  if (!r.intraday.length) return '';
  const minute = (iso: string) => localMinuteOf(iso, r.date, r.timezone);
  const rows = r.intraday.map((a) => {
    const from = minute(a.since);
    const to = Math.max(minute(a.last_seen), from + 5);
    const left = ((from / 1440) * 100).toFixed(2);
    const width = ((Math.min(1440 - from, to - from) / 1440) * 100).toFixed(2);
    const span = `${clockOf(from)}–${clockOf(minute(a.last_seen))}`;
    return `<tr><td>${severityBadge(a.severity)}${a.snoozed ? ' <span class="note">snoozed</span>' : ''}</td><th scope="row"><code>${esc(a.check)}</code> ${a.event_name === null ? 'all events' : `<code>${esc(a.event_name)}</code>`}</th><td>${esc(span)}<div class="timeline" aria-hidden="true"><span class="sev-${a.severity.toLowerCase()}" style="left:${left}%;width:${width}%"></span></div></td><td>first raised ${esc(clockOf(minute(a.first_seen)))}: ${esc(a.message)}</td></tr>`;
  });
  return `<section aria-labelledby="intraday-h">
<h2 id="intraday-h">Intraday alerts</h2>
<p class="meta">What the intraday schedule raised during the day, from when the condition began to the last run that still raised it. Local times of the day.</p>
<div class="table-wrap" role="region" tabindex="0" aria-label="Intraday alerts"><table>
<caption>Alerts raised during the day</caption>
<thead><tr><th scope="col">Severity</th><th scope="col">Check and events</th><th scope="col">Since–last raised</th><th scope="col">What the first run said</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

/** The tracking plan's verdict: per event type (worst share first), its broken properties, worst first. */
function contractSectionHtml(model: DayPageModel): string {
  const c = model.report.contract;
  if (!c) return '';
  const head = `<section aria-labelledby="contract-h">
<h2 id="contract-h">Tracking plan</h2>
<p class="meta">Plan ${esc(c.plan_version)}. Samples are Kafka coordinates (partition/offset): read one with <code>kcat -C -t TOPIC -p PARTITION -o OFFSET -c 1</code>.</p>`;
  if (!c.violations.length)
    return `${head}
<p class="note">Every event kept the plan.</p>
</section>`;
  const byType = new Map<string, typeof c.violations>();
  for (const v of c.violations) byType.set(v.event_name, [...(byType.get(v.event_name) ?? []), v]);
  const worst = (vs: typeof c.violations) => Math.max(...vs.map((v) => v.share ?? 0));
  const groups = [...byType].sort((a, b) => worst(b[1]) - worst(a[1]) || a[0].localeCompare(b[0]));
  const rows = groups.flatMap(([event, vs]) =>
    [...vs]
      .sort((a, b) => b.count - a.count)
      .map(
        (
          v,
          i,
        ) => `<tr${v.new ? ' class="row-new"' : ''}>${i === 0 ? `<th scope="rowgroup" rowspan="${vs.length}"><code>${esc(event)}</code></th>` : ''}
<td><code>${esc(v.path)}</code></td><td>${esc(v.rule)}</td><td class="num">${count(v.count)}</td><td class="num">${v.share === null ? 'n/a' : pct(v.share)}</td>
<td>${esc(v.first_seen.slice(11, 19))}–${esc(v.last_seen.slice(11, 19))}</td><td>${esc(v.samples.map((s) => `${s.partition}/${s.offset}`).join(' '))}</td><td>${v.new ? '<strong>new</strong>' : ''}</td></tr>`,
      ),
  );
  return `${head}
<div class="table-wrap" role="region" tabindex="0" aria-label="Tracking plan violations"><table>
<caption>Events breaking the plan, once per property and rule</caption>
<thead><tr><th scope="col">Event</th><th scope="col">Property</th><th scope="col">Rule</th><th scope="col" class="num">Events</th><th scope="col" class="num">Share of type</th><th scope="col">Seen (UTC)</th><th scope="col">Samples</th><th scope="col">Since yesterday</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

function trafficSection(model: DayPageModel): string {
  const m = model.report.metrics;
  const rows: [string, string][] = [
    ['Clients', count(m.clients)],
    ['Duplicate transactions', count(m.duplicate_transactions)],
    ['Revenue, duplicates removed', formatValue(m.revenue_deduplicated, 'money', m.currency ?? null)],
  ];
  if (m.sessions !== null) {
    rows.push(['Sessions', count(m.sessions)]);
    rows.push([
      'Mean session length',
      m.session_length_mean_s == null ? 'n/a' : `${m.session_length_mean_s.toFixed(1)} s`,
    ]);
    rows.push(['Page views per session', m.page_depth_mean == null ? 'n/a' : m.page_depth_mean.toFixed(2)]);
    rows.push(['Bounce rate', m.bounce_rate == null ? 'n/a' : pct(m.bounce_rate)]);
  }
  if (m.bot_share !== null) rows.push(['Bot share of events', pct(m.bot_share)]);
  if (m.device_share)
    rows.push([
      'Devices (share of events)',
      Object.entries(m.device_share)
        .sort((a, b) => b[1] - a[1])
        .map(([d, s]) => `${d} ${pct(s)}`)
        .join(', '),
    ]);
  if (m.late_events) rows.push(['Late events (after the first close-out)', count(m.late_events)]);
  return `<section aria-labelledby="traffic-h">
<h2 id="traffic-h">Orders, sessions and traffic</h2>
<div class="table-wrap" role="region" tabindex="0" aria-label="Orders, sessions and traffic"><table><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table></div>
</section>`;
}

/** How a special day was judged, and which metrics against the same weekday (a Sunday against Sundays) rather than the latest days. */
function seasonalNote(model: DayPageModel): string {
  const seasonal = Object.entries(model.report.baselines)
    .filter(([, b]) => b?.season === 'same_weekday')
    .map(([metric, b]) => `${metric} (${b!.n})`);
  const special = model.report.special_day
    ? `<p class="note">${esc(specialDayLine(model.report.special_day))}</p>`
    : '';
  if (!seasonal.length) return special;
  return `${special}<p class="note">Judged against the same weekday, the last ${weekdayName(model.report.date)}s closed: ${esc(seasonal.join(', '))}.</p>`;
}
