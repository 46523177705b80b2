/**
 * The frame every HTML report page shares: head, styles, the inlined chart
 * scripts and the page's data. Self-contained: nothing is fetched when the
 * page opens. Pure.
 */
import type { Severity } from '../../checks/model.ts';

export interface HtmlAssets {
  /** Chart.js, its annotation plugin and the page script, in load order. */
  scripts: string[];
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML content and attribute values. Everything from a report passes through here. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON that cannot end the script element it sits in. */
function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script's text inlined: `</script` inside it would end the element early. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}

/** Severity in words and a shape, never by colour alone. */
export function severityBadge(severity: Severity | 'OK', extra = ''): string {
  const shape = { CRITICAL: '▲', WARNING: '◆', INFO: '●', OK: '✓' }[severity];
  return `<span class="badge badge-${severity.toLowerCase()}${extra ? ` ${extra}` : ''}"><span aria-hidden="true">${shape}</span> ${severity}</span>`;
}

export function verdictSeverity(verdict: 'critical' | 'warning' | 'ok'): Severity | 'OK' {
  return verdict === 'ok' ? 'OK' : (verdict.toUpperCase() as Severity);
}

const STYLES = `
:root {
  --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --paper: #ffffff; --panel: #f6f8fa;
  --critical: #a40e26; --critical-bg: #ffebe9; --warning: #7d4e00; --warning-bg: #fff8c5;
  --info: #0550ae; --info-bg: #ddf4ff; --ok: #116329; --ok-bg: #dafbe1;
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--paper); }
main { max-width: 1180px; margin: 0 auto; padding: 16px; }
header.page { border-bottom: 1px solid var(--line); margin-bottom: 16px; padding-bottom: 8px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; }
h3 { font-size: 1rem; margin: 0 0 4px; }
.meta, .note { color: var(--muted); font-size: 0.875rem; margin: 0; }
.timeline { position: relative; height: 8px; min-width: 160px; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; margin-top: 4px; }
.timeline > span { position: absolute; top: 0; bottom: 0; border-radius: 3px; background: var(--info); }
.timeline > span.sev-critical { background: var(--critical); }
.timeline > span.sev-warning { background: var(--warning); }
a { color: #0550ae; }
nav.days { display: flex; gap: 12px; flex-wrap: wrap; font-size: 0.9rem; margin: 8px 0 0; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 8px; font-weight: 700; font-size: 0.8rem; letter-spacing: 0.02em; white-space: nowrap; border: 1px solid currentColor; }
.badge-critical { color: var(--critical); background: var(--critical-bg); }
.badge-warning { color: var(--warning); background: var(--warning-bg); }
.badge-info { color: var(--info); background: var(--info-bg); }
.badge-ok { color: var(--ok); background: var(--ok-bg); }
.verdict { border-radius: 8px; padding: 12px 16px; border: 2px solid; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.verdict-critical { border-color: var(--critical); background: var(--critical-bg); }
.verdict-warning { border-color: var(--warning); background: var(--warning-bg); }
.verdict-ok { border-color: var(--ok); background: var(--ok-bg); }
.verdict .badge { font-size: 1rem; }
.verdict p { margin: 0; font-weight: 600; }
ol.alerts { list-style: none; padding: 0; margin: 12px 0 0; display: grid; gap: 8px; }
ol.alerts > li { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: 8px 12px; background: var(--paper); }
ol.alerts > li.sev-critical { border-left-color: var(--critical); border-left-style: solid; }
ol.alerts > li.sev-warning { border-left-color: var(--warning); border-left-style: double; }
ol.alerts > li.sev-info { border-left-color: var(--info); border-left-style: dotted; }
.alert-head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.alert-head code { font-size: 0.85rem; color: var(--muted); }
.alert-message { margin: 4px 0; }
details summary { cursor: pointer; color: #0550ae; font-size: 0.9rem; }
details ul { margin: 4px 0; padding-left: 20px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 8px; margin-top: 16px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--panel); }
.tile .label { color: var(--muted); font-size: 0.85rem; }
.tile .value { font-size: 1.35rem; font-weight: 700; }
.tile .base { font-size: 0.8rem; color: var(--muted); }
.tile.alerting { border-width: 2px; border-color: var(--ink); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); gap: 16px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px 12px; min-width: 0; }
figure.chart figcaption { font-weight: 600; }
figure.chart .canvas-box { position: relative; height: 240px; }
figure.chart.bars .canvas-box { height: 200px; }
/* Wide tables scroll inside their box (focusable, so keyboards can scroll it too), not the page. */
.table-wrap { overflow-x: auto; }
.table-wrap:focus-visible { outline: 2px solid #0550ae; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr[data-day] th { white-space: nowrap; }
tr.row-missing td { background: var(--critical-bg); }
tr.row-problems td, tr.row-renamed td { background: var(--warning-bg); }
footer { margin: 32px 0 8px; color: var(--muted); font-size: 0.8rem; }
@media (max-width: 600px) {
  main { padding: 10px; }
  h1 { font-size: 1.25rem; }
  figure.chart .canvas-box { height: 210px; }
}
@media print { details { display: block; } figure.chart { break-inside: avoid; } }
`;

export function page(o: { title: string; body: string; data: unknown; assets: HtmlAssets }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="event-monitor">
<title>${esc(o.title)}</title>
<style>${STYLES}</style>
</head>
<body>
${o.body}
<script type="application/json" id="report-data">${jsonForScript(o.data)}</script>
${o.assets.scripts.map((s) => `<script>${inlineScript(s)}</script>`).join('\n')}
</body>
</html>
`;
}
