/**
 * The demo, the README's first command: brings the local stack up, replays the
 * real 14-day export through Kafka into a fresh namespace, consumes it until
 * idle, closes out every day in order, and prints what the monitor found.
 *
 *   npm run demo [-- --format segment|shopify-web-pixels|snowplow|avro] [-- --redis-cluster] [-- --data DIR] [-- --reports DIR]
 *
 * The monitor runs with the export's shop config (config/puffy.yaml: its
 * domain, currency and volume bounds), or MONITOR_CONFIG_FILE if set.
 * --format segment (or shopify-web-pixels, snowplow) converts every row of the
 * export into that source format's event and sets source.format on top.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { wholeNumberIn } from '../src/cli/arguments.ts';
import { closeoutDepsOf } from '../src/cli/closeout.ts';
import { consume } from '../src/cli/consume.ts';
import { createContext, stateOf } from '../src/cli/context.ts';
import { intradayBackfill } from '../src/cli/intraday.ts';
import { replayCommand } from '../src/cli/replay.ts';
import { closeOut } from '../src/closeout/closeout.ts';
import { writeHtmlReports } from '../src/closeout/html/write-html.ts';
import type { Report } from '../src/closeout/report.ts';
import { compactReport, summaryTable, textReport } from '../src/closeout/text-report.ts';
import { ConfigError } from '../src/config/env.ts';
import { EVENT_FORMAT_NAMES, type EventFormatName } from '../src/config/formats/index.ts';
import { listCsvFiles, readCsvEvents } from '../src/replay/csv-events.ts';
import { createRedis } from '../src/state/redis.ts';
import {
  PROMETHEUS_TARGETS_DIR,
  REPO_ROOT,
  StackError,
  stackEnv,
  startRedisCluster,
  up,
} from '../stack/services.ts';

const program = new Command('demo')
  .description('replay the real export through the monitor and close out every day')
  .option(
    '--format <format>',
    `json or avro (the export's own columns), or a source format: ${EVENT_FORMAT_NAMES.filter((f) => f !== 'flat').join(', ')}`,
    'json',
  )
  .option('--data <dir>', 'CSV exports to replay', resolve(REPO_ROOT, '..', 'shared', 'data', 'puffy'))
  .option('--reports <dir>', 'where to write the JSON and text reports', join(REPO_ROOT, 'reports'))
  .option('--namespace <ns>', 'namespace to use (default: a fresh one)')
  .option('--redis-cluster', 'keep the state on a local Redis Cluster (3 masters, 3 replicas)')
  .option(
    '--intraday-every <minutes>',
    "judge each day as an intraday schedule every this many minutes would have, for the reports' intraday section (0: not at all)",
    wholeNumberIn(0, 1440),
    10,
  )
  .parse();
const opts = program.opts<{
  format: string;
  data: string;
  reports: string;
  namespace?: string;
  redisCluster?: boolean;
  intradayEvery: number;
}>();

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`\n[${n}/5] ${text}`);

async function main(): Promise<number> {
  const sourceFormat = EVENT_FORMAT_NAMES.find((f) => f === opts.format);
  if (opts.format !== 'json' && opts.format !== 'avro' && sourceFormat === undefined) {
    console.error(
      `demo: --format must be json, avro or one of ${EVENT_FORMAT_NAMES.join(', ')}, not ${opts.format}`,
    );
    return 2;
  }
  if (!existsSync(opts.data)) {
    console.error(`demo: no export found at ${opts.data}: put the CSV files there or pass --data DIR`);
    return 1;
  }
  const files = listCsvFiles([opts.data]);
  say('event-monitor demo: the real 14-day export of a web shop, streamed through the monitor');
  say(`  ${files.length} daily CSV files from ${relative(process.cwd(), opts.data) || opts.data}`);

  step(1, 'Starting the local stack (Kafka, schema registry, Redis, Prometheus, Alertmanager)');
  for (const s of await up((line) => say(`  ${line}`)))
    say(`  ${s.name.padEnd(13)} ${s.state.padEnd(9)} ${s.endpoint}`);
  const cluster = opts.redisCluster ? await startRedisCluster((line) => say(`  ${line}`)) : undefined;
  if (cluster) say(`  ${'redis-cluster'.padEnd(13)} ${'running'.padEnd(9)} ${cluster}`);

  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const namespace = opts.namespace ?? `demo-${stamp}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...stackEnv(),
    MONITOR_NAMESPACE: namespace,
    KAFKA_TOPIC: `demo.${namespace}.events`,
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    PROMETHEUS_FILE_SD_DIR: PROMETHEUS_TARGETS_DIR,
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}),
  };
  const as: EventFormatName = sourceFormat ?? 'flat';
  // the export's shop: its domain, currency and bounds (config/puffy.yaml), unless the user names a config
  const shopConfig = env.MONITOR_CONFIG_FILE ?? join(REPO_ROOT, 'config', 'puffy.yaml');
  env.MONITOR_CONFIG_FILE = as === 'flat' ? shopConfig : configWithFormat(shopConfig, as, namespace);
  Object.assign(process.env, env);
  const ctx = createContext({}, env);

  const framing = opts.format === 'avro' ? 'avro' : 'json';
  step(2, `Replaying the export into topic ${ctx.topic} as ${as} ${framing} (namespace ${namespace})`);
  const replayed = await replayCommand(ctx, [opts.data], { format: framing, as });

  step(3, 'Consuming until caught up: validate, fold into per-day Redis state, exactly once');
  const consumeStarted = Date.now();
  await consume(ctx, { exitWhenIdleSeconds: 3 });
  say(
    `  consumed ${replayed.sent.toLocaleString('en-US')} events in ${((Date.now() - consumeStarted) / 1000).toFixed(1)}s (including 3 s of idle wait)`,
  );

  step(
    4,
    opts.intradayEvery > 0
      ? `Each day in order: judged as the intraday schedule would have every ${opts.intradayEvery} min, then closed out (checks, baselines, alerts to Alertmanager)`
      : 'Closing out each day in order (checks, baselines, alerts to Alertmanager)',
  );
  const days = await daysOf(files, (ms) => ctx.days.dayOf(ms));
  const redis = createRedis(ctx.env);
  const state = stateOf(ctx, redis);
  const dir = join(opts.reports, namespace);
  mkdirSync(dir, { recursive: true });
  const reports: Report[] = [];
  for (const day of days) {
    // the events came in minutes, not over the day: the schedule never saw them arrive, so its record is backfilled
    if (opts.intradayEvery > 0) await intradayBackfill(ctx, state, day, opts.intradayEvery);
    const { report, deliveryErrors } = await closeOut(closeoutDepsOf(ctx, state), day);
    reports.push(report);
    writeFileSync(join(dir, `${day}.json`), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, `${day}.txt`), textReport(report));
    say(compactReport(report));
    for (const e of deliveryErrors) say(`    (notification: ${e})`);
  }
  const html = await writeHtmlReports(state, ctx.config, dir, days);
  redis.disconnect();

  step(5, 'Summary of the 14 days');
  say(summaryTable(reports));
  const e = stackEnv();
  say(`
Reports: ${relative(process.cwd(), dir)}/<date>.json, <date>.txt and <date>.html (e.g. ${relative(process.cwd(), join(dir, `${days.at(-1)}.txt`))})
Where to look next:
  HTML reports   ${relative(process.cwd(), html.index)}  (open in a browser: verdicts, charts against the 7-day band, funnel, channels, field health)
  Alertmanager   ${e.ALERTMANAGER_URL}/#/alerts?filter={namespace="${namespace}"}  (the close-out alerts, routed by severity)
  Prometheus     ${e.PROMETHEUS_URL}/graph?g0.expr=${encodeURIComponent(`sum by (event_name) (em_events_accepted_total{namespace="${namespace}"})`)}
  Grafana        with docker compose (docker compose up), http://localhost:3000: stream health, business today, close-out history
  Redis state    redis-cli ${cluster ? '-c -p 17001 ' : ''}--scan --pattern 'em:{${namespace}:*'${cluster ? ' (one node of the cluster; each holds its slots)' : ''}
Stop the stack with: npm run stack:down`);
  return 0;
}

/** The shop's config with source.format set: the one setting a shop of that format needs. */
function configWithFormat(shopFile: string, format: EventFormatName, namespace: string): string {
  const base = (parseYaml(readFileSync(shopFile, 'utf8')) as Record<string, unknown> | null) ?? {};
  const source = { ...((base.source as Record<string, unknown> | undefined) ?? {}), format };
  const dir = join(opts.reports, namespace);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'monitor.yaml');
  writeFileSync(file, toYaml({ ...base, source }));
  return file;
}

/** The days the export covers, from the timestamps of its rows. */
async function daysOf(files: string[], dayOf: (epochMs: number) => string): Promise<string[]> {
  const days = new Set<string>();
  for (const f of files) {
    for await (const row of readCsvEvents(f, () => {})) {
      if (row.timestampMs !== null) days.add(dayOf(row.timestampMs));
    }
  }
  return [...days].sort();
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    if (err instanceof ConfigError) for (const line of err.problems) console.error(`config: ${line}`);
    else if (err instanceof StackError) console.error(`demo: ${err.message}`);
    else console.error(`demo: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
