/**
 * The text report, in the seed monitor's layout, and a compact form for the
 * demo's terminal output. Pure. Severity is always spelled out, never carried
 * by a symbol alone.
 */
import { overridesLine } from '../config/day-rules.ts';
import { zScoreCheckOf } from './checks/registry.ts';
import { clockOf, localMinuteOf, money, pct } from './format.ts';
import type { Report } from './report.ts';

const RULE = '='.repeat(64);
const THIN = '-'.repeat(64);

const num = (v: number, digits = 2) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function textReport(r: Report): string {
  const lines: string[] = [
    RULE,
    `DAILY MONITORING REPORT: ${r.date} (namespace ${r.namespace}, ${r.timezone})`,
    `Generated: ${r.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
    RULE,
    '',
  ];
  const critical = r.alerts.filter((a) => a.severity === 'CRITICAL');
  const warnings = r.alerts.filter((a) => a.severity === 'WARNING');
  const item = (a: Report['alerts'][number]) => `   • ${a.message}${a.snoozed ? '  [snoozed]' : ''}`;
  if (critical.length) lines.push('🚨 CRITICAL ALERTS:', ...critical.map(item), '');
  if (warnings.length) lines.push('⚠️ WARNINGS:', ...warnings.map(item), '');
  if (!critical.length && !warnings.length) lines.push('✅ ALL CHECKS PASSED', '');
  if (r.special_day) lines.push(specialDayLine(r.special_day), '');
  if (r.overrides.length) lines.push(overridesLine(r.overrides), '');
  if (r.changes) {
    const changed = Object.entries(r.changes.metrics);
    lines.push('CHANGES SINCE THE LAST CLOSE-OUT:');
    if (!changed.length && !r.changes.alerts_added.length && !r.changes.alerts_removed.length)
      lines.push('   none');
    for (const [k, { before, after }] of changed)
      lines.push(`   ${k}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    if (r.changes.alerts_added.length) lines.push(`   new alerts: ${r.changes.alerts_added.join(', ')}`);
    if (r.changes.alerts_removed.length)
      lines.push(`   resolved alerts: ${r.changes.alerts_removed.join(', ')}`);
    lines.push('');
  }

  const m = r.metrics;
  const z = (key: keyof Report['zscores']) => {
    const s = r.zscores[key];
    const check = zScoreCheckOf(key);
    const fired = r.alerts.some((a) => a.check === check);
    const season = r.baselines[key]?.season;
    const seasonal =
      season === 'same_weekday'
        ? `, against the last ${s?.n} ${weekdayName(r.date)}s`
        : season === 'same_kind'
          ? `, against the last ${s?.n} ${r.special_day?.kind ?? 'special'} days`
          : '';
    return s ? ` (z=${s.z.toFixed(2)}${seasonal})${fired ? ' ⚠️' : ''}` : '';
  };
  lines.push(
    THIN,
    'METRICS SUMMARY:',
    THIN,
    `event_count: ${num(m.event_count)}${z('event_count')}`,
    `null_client_rate: ${num(m.null_client_rate)}`,
    `revenue: ${num(m.revenue)}${m.currency ? ` ${m.currency}` : ''}${z('revenue')}`,
    ...(Object.keys(m.revenue_by_currency ?? {}).length > 1
      ? [
          `revenue_by_currency: ${Object.entries(m.revenue_by_currency!)
            .map(([k, v]) => `${k} ${num(v)}`)
            .join(', ')}`,
        ]
      : []),
    `revenue_deduplicated: ${num(m.revenue_deduplicated)}`,
    `conversions: ${num(m.conversions)}${z('conversions')}`,
    `aov: ${m.aov === null ? 'n/a' : num(m.aov)}${z('aov')}`,
    `duplicate_transactions: ${num(m.duplicate_transactions)}`,
    `clients: ${num(m.clients, 0)}`,
    `funnel (share of clients): add to cart ${pct(m.atc_rate)}, checkout ${pct(m.checkout_rate)}, purchase ${pct(m.purchase_rate)}`,
    `channels: ${shares(m.channel_share)}`,
    `event types: ${counts(m.event_types)}`,
    ...(m.duplicate_events ? [`duplicate events (counted once): ${num(m.duplicate_events)}`] : []),
    ...(Object.keys(m.app_versions ?? {}).length ? [`app versions: ${counts(m.app_versions!)}`] : []),
    ...(Object.keys(m.tracker_versions ?? {}).length
      ? [`tracker versions: ${counts(m.tracker_versions!)}`]
      : []),
  );
  if (m.sessions !== null) {
    const len = (v: number | null) => (v === null ? 'n/a' : `${num(v, 1)} s`);
    lines.push(
      `sessions: ${num(m.sessions, 0)}; length mean ${len(m.session_length_mean_s)}, median ${len(m.session_length_median_s)}; ` +
        `page depth ${m.page_depth_mean === null ? 'n/a' : num(m.page_depth_mean)}; ` +
        `bounce ${m.bounce_rate === null ? 'n/a' : pct(m.bounce_rate)}`,
    );
  }
  if (m.device_share) lines.push(`devices (share of events): ${shares(m.device_share)}`);
  if (m.bot_share !== null)
    lines.push(
      `bots: ${pct(m.bot_share)} of events; ${num(m.event_count_humans ?? 0, 0)} events without bots`,
    );
  if (m.utm_landings)
    lines.push(`utm sources (${num(m.utm_landings, 0)} landings): ${shares(m.utm_source_share ?? {})}`);
  if (Object.keys(m.missing_fields).length) lines.push(`missing fields: ${counts(m.missing_fields)}`);
  if (Object.keys(m.field_aliases).length) lines.push(`field aliases: ${counts(m.field_aliases)}`);
  if (Object.keys(m.rejected).length) lines.push(`rejected messages: ${counts(m.rejected)}`);
  if (m.late_events) lines.push(`late events (after close-out): ${num(m.late_events, 0)}`);
  if (r.gaps.length) lines.push('', ...gapLines(r.gaps));
  if (r.intraday.length) lines.push('', ...intradayLines(r));
  if (r.contract) lines.push('', ...contractTable(r.contract));
  const snoozed = r.alerts.filter((a) => a.snoozed);
  if (snoozed.length)
    lines.push('', `snoozed (reported, not notified): ${snoozed.map((a) => a.check).join(', ')}`);
  lines.push('');
  return lines.join('\n');
}

/** How a special day was judged (baseline.specialDays). */
export function specialDayLine(d: NonNullable<Report['special_day']>): string {
  return d.judge === 'skip'
    ? `${d.name} (${d.kind}): a special day, judged against no baseline (judge: skip); thresholds and logical checks only.`
    : `${d.name} (${d.kind}): a special day, judged against earlier ${d.kind} days only; without enough of them, no baseline.`;
}

/** The day's unlikely spans without events, local times of the day. */
function gapLines(gaps: Report['gaps']): string[] {
  return [
    'gaps (no event at all, where the baseline days had some):',
    ...gaps.map(
      (g) =>
        `  ${g.event_name ?? 'all events'}: ${g.local_start}–${g.local_end} (${num(g.minutes, 0)} min), ${num(g.expected, 1)} expected, chance ${g.p.toExponential(1)}`,
    ),
  ];
}

/** What the intraday schedule raised during the day: since when, first and last seen (local times). */
function intradayLines(r: Report): string[] {
  const at = (iso: string) => clockOf(localMinuteOf(iso, r.date, r.timezone));
  return [
    'intraday alerts (raised during the day by the intraday schedule):',
    ...r.intraday.map(
      (a) =>
        `  ${a.severity.padEnd(8)} ${a.check} ${a.event_name ?? 'all events'}: since ${at(a.since)}, raised ${at(a.first_seen)}–${at(a.last_seen)}${a.snoozed ? ' [snoozed]' : ''}: ${a.message}`,
    ),
  ];
}

/** Violations most frequent first, as the HTML page orders them; samples are Kafka coordinates. */
const MAX_CONTRACT_ROWS = 30;

function contractTable(c: NonNullable<Report['contract']>): string[] {
  const head = [THIN, `TRACKING PLAN (${c.plan_version}):`, THIN];
  if (!c.violations.length) return [...head, 'no violations'];
  const rows = c.violations
    .slice(0, MAX_CONTRACT_ROWS)
    .map((v) => [
      v.new ? 'NEW' : '',
      v.event_name,
      v.path,
      v.rule,
      v.count.toLocaleString('en-US'),
      v.share === null ? '' : pct(v.share),
      `${v.first_seen.slice(11, 19)}..${v.last_seen.slice(11, 19)}`,
      v.samples.map((s) => `${s.partition}/${s.offset}`).join(' '),
    ]);
  const header = ['', 'event', 'path', 'rule', 'events', 'share', 'seen (UTC)', 'samples (partition/offset)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 4 || i === 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const more = c.violations.length - rows.length;
  return [...head, fmt(header), ...rows.map(fmt), ...(more > 0 ? [`(${more} more in the JSON report)`] : [])];
}

const counts = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ');
const shares = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ');

/** A few lines per day for a terminal: the verdict and each alert. */
export function compactReport(r: Report): string {
  const m = r.metrics;
  const head = `${r.date}  ${r.verdict.toUpperCase().padEnd(8)}  events ${m.event_count.toLocaleString('en-US')}, revenue ${money(m.revenue, m.currency)}, conversions ${m.conversions}, null client ${pct(m.null_client_rate)}`;
  const alerts = r.alerts.map(
    (a) => `    ${a.severity.padEnd(8)} ${a.check}: ${a.message}${a.snoozed ? ' [snoozed]' : ''}`,
  );
  return [head, ...alerts].join('\n');
}

/** The summary table across days. */
export function summaryTable(reports: Report[]): string {
  const header = ['date', 'verdict', 'events', 'revenue', 'conversions', 'alerts (critical/warning)'];
  const rows = reports.map((r) => {
    const c = r.alerts.filter((a) => a.severity === 'CRITICAL' && !a.snoozed).length;
    const w = r.alerts.filter((a) => a.severity === 'WARNING' && !a.snoozed).length;
    return [
      r.date,
      r.verdict,
      r.metrics.event_count.toLocaleString('en-US'),
      money(r.metrics.revenue, r.metrics.currency),
      String(r.metrics.conversions),
      `${c}/${w}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** "Sunday" for a day. */
export const weekdayName = (day: string) =>
  new Date(`${day}T12:00:00Z`).toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' });
