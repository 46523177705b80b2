/**
 * No Grafana server runs here, so every dashboard query and every metric the
 * rules use is run against the real Prometheus, scraping a real monitor fed
 * by the real export and a real close-out scheduler. A query that errors or
 * returns nothing fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { closeOut } from '../../src/closeout/closeout.ts';
import { notifierOf } from '../../src/delivery/notify.ts';
import { createLogger } from '../../src/log.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { REPO_ROOT } from '../../stack/services.ts';
import { EXPECTED, EXPECTED_TOTAL, replayExport } from '../helpers/export.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { env, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

interface Panel {
  /** "row" panels only group the ones below them: no query, no datasource. */
  type: string;
  title: string;
  targets: { expr: string }[];
}
const dashboards = readdirSync(join(REPO_ROOT, 'grafana/dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({
    file: f,
    ...(JSON.parse(readFileSync(join(REPO_ROOT, 'grafana/dashboards', f), 'utf8')) as { panels: Panel[] }),
  }));
const queries = dashboards.flatMap((d) =>
  d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${d.file}: ${p.title}`, expr: t.expr }))),
);

/** A Grafana variable reference as dashboards write it: $ and the name in braces. */
const GRAFANA_VAR = (name: string) => `\${${name}}`;

let space: TestSpace;
const processes: MonitorProcess[] = [];
const r = redis();

/** The single value of an instant query (NaN when it returned nothing). */
async function scalar(expr: string): Promise<number> {
  const result = (await query(expr)).data?.result[0] as { value: [number, string] } | undefined;
  return Number(result?.value[1] ?? Number.NaN);
}

async function query(expr: string) {
  const res = await fetch(`${env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}
const instantiate = (expr: string) =>
  expr
    .replaceAll('$namespace', space.namespace)
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h');

beforeAll(async () => {
  space = await testSpace(import.meta.filename, { partitions: 6 });
  await replayExport(space);
  const monitor = startMonitor(['consume'], space.env);
  processes.push(monitor);
  const port = await metricsPortOf(monitor);
  await eventually(
    () => scrape(port),
    (t) => metricValue(t, 'em_messages_consumed_total') === EXPECTED_TOTAL,
    120_000,
  );
  const state = new MonitorState(r, space.namespace);
  for (const day of [...EXPECTED.keys()].sort()) {
    await closeOut(
      {
        state,
        config: space.ctx.config,
        timezone: 'UTC',
        notify: notifierOf({}, { alertTtlHours: 24, log: createLogger('silent') }),
        log: createLogger('silent'),
      },
      day,
    );
  }
  processes.push(startMonitor(['closeout', '--schedule'], space.env));
  // both jobs scraped, with enough samples for rate() over 1m
  await eventually(
    () => query(`count(up{namespace="${space.namespace}"} == 1)`),
    (q) => Number((q.data?.result[0] as { value?: [number, string] })?.value?.[1] ?? 0) === 2,
    60_000,
  );
  // rate() over 1m needs at least two samples of each job: wait for three, as Prometheus reports them
  await eventually(
    () => query(`min(count_over_time(up{namespace="${space.namespace}"}[1m]))`),
    (q) => Number((q.data?.result[0] as { value?: [number, string] })?.value?.[1] ?? 0) >= 3,
    60_000,
  );
});
afterAll(async () => {
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  r.disconnect();
  await space.cleanup();
});

describe('Grafana dashboards against live data', () => {
  it('has the three dashboards, each on a $datasource variable of Prometheus datasources, linked to each other and to the runbooks', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      'business-today.json',
      'closeout-history.json',
      'stream-health.json',
    ]);
    const provisioning = parse(
      readFileSync(join(REPO_ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as {
      datasources: { uid: string }[];
    };
    expect(provisioning.datasources[0]?.uid).toBe('prometheus');
    for (const d of dashboards) {
      for (const p of d.panels.filter((p) => p.type !== 'row'))
        expect((p as Panel & { datasource: { uid: string } }).datasource.uid, d.file).toBe(
          GRAFANA_VAR('datasource'),
        );
      const board = d as unknown as {
        templating: { list: { name: string; type: string; query: string }[] };
        links: { type: string; tags?: string[]; url?: string }[];
        time: { from: string };
      };
      expect(board.templating.list[0], d.file).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      expect(board.links.find((l) => l.type === 'dashboards')?.tags, d.file).toEqual(['event-monitor']);
      expect(board.links.find((l) => l.type === 'link')?.url, d.file).toBe(GRAFANA_VAR('runbooks'));
      expect(board.templating.list.find((v) => v.name === 'runbooks')?.query).toBe(
        'http://localhost:8088/docs/runbooks.md',
      );
    }
    const range = (file: string) =>
      (dashboards.find((d) => d.file === file) as unknown as { time: { from: string } }).time.from;
    expect(range('closeout-history.json')).toBe('now-30d'); // daily data: a month, not six hours
    expect(range('business-today.json')).toBe('now/d');
  });

  it.each(queries.map((q) => [q.where, q.expr]))('%s returns data', async (_where, expr) => {
    const result = await query(instantiate(expr));
    expect(result.status, result.error).toBe('success');
    expect(result.data?.result.length, expr).toBeGreaterThan(0);
  });

  it('shows exact figures: consumed = every row of the export, four duplicate days in the history', async () => {
    expect(await scalar(`sum(em_messages_consumed_total{namespace="${space.namespace}"})`)).toBe(
      EXPECTED_TOTAL,
    );
    expect(
      await scalar(
        `sum(em_closeout_day_alerts{namespace="${space.namespace}",check="duplicate_transactions"})`,
      ),
    ).toBe(4);
  });
});

describe('rules against live data', () => {
  const rules = parse(readFileSync(join(REPO_ROOT, 'prometheus/rules/event-monitor.yml'), 'utf8')) as {
    groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
  };
  const all = rules.groups.flatMap((g) => g.rules);

  it.each(all.map((rule) => [rule.record ?? rule.alert, rule.expr]))(
    '%s evaluates without error',
    async (_name, expr) => {
      expect((await query(expr as string)).status).toBe('success');
    },
  );

  it.each(all.filter((rule) => rule.record).map((rule) => [rule.record, rule.expr]))(
    'recording rule %s returns data',
    async (_n, expr) => {
      const result = await query((expr as string).replaceAll('[30m]', '[5m]').replaceAll('[1h]', '[5m]'));
      expect(result.data?.result.length).toBeGreaterThan(0);
    },
  );

  it('every metric a rule names exists', async () => {
    const names = new Set(all.flatMap((rule) => rule.expr.match(/(?<![:\w])em_[a-z_]+(?![:\w])/g) ?? []));
    for (const name of names) {
      const result = await query(`count({__name__="${name}",namespace="${space.namespace}"})`);
      expect(result.data?.result.length, name).toBeGreaterThan(0);
    }
  });
});
