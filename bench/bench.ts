/**
 * npm run bench [-- --quick] [-- --events N] [-- --json FILE] [-- --redis-cluster]
 *
 * One run, one machine, one topic: raw kafkajs consume-only throughput next to
 * the full monitor (decode, validate, aggregate, exactly-once Redis apply), the
 * close-out time of a small and a large day, and the consumer's peak RSS early
 * and at the end; the CPU per event of each part (the monitor, Redis, the
 * Kafka broker, the decode-floor consumer) and what the machine's cores
 * sustain at those costs; two monitors of one group, as `--scale 2` runs them.
 * Ratios, not absolute thresholds, are what to compare.
 * With --redis-cluster, the monitor also consumes the same events into the
 * local Redis Cluster, with WAIT for a replica and without: events/s, and
 * Redis CPU per event on each shard.
 * Then each source format (flat, segment, shopify-web-pixels, snowplow) at
 * 200,000 events: events/s, CPU per event, the validator alone, and the Redis
 * bytes per event of the event-id sets that count a retried event once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createContext } from '../src/cli/context.ts';
import { closeOut } from '../src/closeout/closeout.ts';
import { EVENT_FORMAT_NAMES } from '../src/config/formats/index.ts';
import { parseMonitorConfig } from '../src/config/monitor-config.ts';
import { notifierOf } from '../src/delivery/notify.ts';
import { createLogger } from '../src/log.ts';
import { CONVERTERS } from '../src/replay/convert.ts';
import { MessageDecoder } from '../src/source/decode.ts';
import { ensureTopics } from '../src/source/topics.ts';
import { StateKeys } from '../src/state/keys.ts';
import { MonitorState } from '../src/state/monitor-state.ts';
import { createRedis, isCluster, type RedisClient } from '../src/state/redis.ts';
import { EventValidator } from '../src/validation/event.ts';
import { waitFor } from '../stack/process.ts';
import { livePidOf, REPO_ROOT, stackEnv, startRedisCluster, up } from '../stack/services.ts';

const opts = new Command('bench')
  .option('--quick', '200,000 events instead of 1,000,000')
  .option('--events <n>', 'events to produce', (v) => Number(v))
  .option('--json <file>', 'write the figures as JSON')
  .option('--profile <dir>', "write the monitor's CPU profile (.cpuprofile) into this folder")
  .option('--redis-cluster', 'also measure the monitor on the local Redis Cluster, with and without WAIT')
  .parse()
  .opts<{ quick?: boolean; events?: number; json?: string; profile?: string; redisCluster?: boolean }>();

const TOTAL = opts.events ?? (opts.quick ? 200_000 : 1_000_000);
const SMALL_DAY_EVENTS = 50_000;
const SMALL_DAY = '2025-06-01';
const LARGE_DAY = '2025-06-02';
const PARTITIONS = 6;
/** The fewest events for which two monitors are measured (see main). */
const SCALED_RUN_MIN_EVENTS = 500_000;
const env = stackEnv();
const say = (s: string) => process.stdout.write(`${s}\n`);

function sampleRows(): Record<string, string>[] {
  const dir = resolve(REPO_ROOT, '..', 'shared', 'data', 'puffy');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .flatMap(
      (f) => parse(readFileSync(join(dir, f)), { columns: true, bom: true }) as Record<string, string>[],
    );
}

/** Events shaped like the real export: its rows, cycled, with distinct clients and transactions per cycle. */
function* events(rows: Record<string, string>[]) {
  for (let i = 0; i < TOTAL; i++) {
    const row = rows[i % rows.length]!;
    const cycle = Math.floor(i / rows.length);
    const small = i < SMALL_DAY_EVENTS;
    const dayStart = Date.parse(`${small ? SMALL_DAY : LARGE_DAY}T00:00:00Z`);
    const n = small ? SMALL_DAY_EVENTS : TOTAL - SMALL_DAY_EVENTS;
    const k = small ? i : i - SMALL_DAY_EVENTS;
    const ts = dayStart + Math.floor((k / n) * 86_399_000);
    const client = row.client_id ?? row.clientId;
    let eventData = row.event_data || null;
    if (eventData && row.event_name === 'checkout_completed')
      eventData = eventData.replace(/"transaction_id":"([^"]+)"/, `"transaction_id":"$1-${cycle}"`);
    const value = JSON.stringify({
      client_id: client ? `${client}-${cycle}` : null,
      page_url: row.page_url || null,
      referrer: row.referrer || null,
      timestamp: new Date(ts).toISOString(),
      event_name: row.event_name,
      event_data: eventData,
      user_agent: row.user_agent || null,
    });
    yield { key: client ? `${client}-${cycle}` : null, value, timestamp: String(ts) };
  }
}

async function produce(kafka: Kafka, topic: string) {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const started = Date.now();
  let batch: { key: string | null; value: string; timestamp: string }[] = [];
  for (const m of events(sampleRows())) {
    batch.push(m);
    if (batch.length === 5000) {
      await producer.send({ topic, acks: 1, messages: batch });
      batch = [];
    }
  }
  if (batch.length) await producer.send({ topic, acks: 1, messages: batch });
  await producer.disconnect();
  return (Date.now() - started) / 1000;
}

/**
 * Events/s of a consumer group of its own whose eachBatch does `work` on each
 * batch's messages (timed from the first batch), and this process's CPU µs per
 * event from connecting to the last batch (joining costs next to nothing).
 */
async function timedConsume(
  kafka: Kafka,
  topic: string,
  group: string,
  work: (messages: { value: Buffer | null }[]) => void,
): Promise<{ eps: number; cpuUsPerEvent: number }> {
  const consumer = kafka.consumer({
    groupId: `bench-${group}-${Date.now()}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
  });
  const cpuAtStart = process.cpuUsage();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let first = 0;
  let cpuUsed = { user: 0, system: 0 };
  const done = new Promise<number>((resolveDone) => {
    void consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (!first) first = Date.now();
        work(batch.messages);
        resolveOffset(batch.lastOffset());
        seen += batch.messages.length;
        if (seen >= TOTAL) {
          cpuUsed = process.cpuUsage(cpuAtStart);
          resolveDone(Date.now());
        }
      },
    });
  });
  const end = await done;
  await consumer.disconnect();
  return {
    eps: TOTAL / ((end - first) / 1000),
    cpuUsPerEvent: (cpuUsed.user + cpuUsed.system) / TOTAL,
  };
}

/** Consume-only: an eachBatch that resolves offsets and nothing else. */
const rawConsume = (kafka: Kafka, topic: string) => timedConsume(kafka, topic, 'raw', () => {});

/**
 * The decode floor: kafkajs, UTF-8 decoding and JSON.parse of each value and of
 * its event_data, nothing else. What a consumer that only reads events costs.
 */
async function decodeFloorConsume(kafka: Kafka, topic: string) {
  let sink = 0;
  const run = await timedConsume(kafka, topic, 'floor', (messages) => {
    for (const m of messages) {
      const event = JSON.parse(m.value!.toString('utf8')) as { event_data?: string | null };
      if (typeof event.event_data === 'string' && event.event_data)
        sink += Object.keys(JSON.parse(event.event_data)).length;
    }
  });
  if (sink < 0) say('unreachable'); // keeps the parsing from being optimised away
  return run;
}

const peakRssMb = (pid: number) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

/** CPU seconds (user + system) a process has used, from /proc. */
const processCpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/** A Redis server's own CPU seconds (user + system), from INFO cpu. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (k: string) => Number(new RegExp(`^${k}:(\\S+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

/** The servers whose CPU a run measures: the one Redis, or each master and replica of the cluster. */
function serversOf(redis: RedisClient): { name: string; server: Redis }[] {
  if (!isCluster(redis)) return [{ name: 'redis', server: redis }];
  const named = (role: 'master' | 'slave') =>
    redis.nodes(role).map((server) => ({
      name: `${role === 'master' ? 'master' : 'replica'} ${server.options.port}`,
      server,
    }));
  return [...named('master'), ...named('slave')];
}
const cpuOf = (servers: { server: Redis }[]) => Promise.all(servers.map((s) => redisCpuSeconds(s.server)));

/**
 * Redis's own floor for this state: each client-day's field read and written
 * once with plain commands (one HMGET and one HSET per 1,000 fields, no
 * script), the very fields the monitor stored, copied into a scratch hash per
 * day. Redis CPU µs per event; the INFO calls around each pair add about 0.05.
 */
async function redisClientFloor(redis: Redis, namespace: string): Promise<number> {
  const keys = new StateKeys(namespace);
  let seconds = 0;
  for (const day of [SMALL_DAY, LARGE_DAY]) {
    const scratch = `${keys.dayKey(day, 'clients')}:floor`;
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(keys.dayKey(day, 'clients'), cursor, 'COUNT', 1000);
      cursor = next;
      if (flat.length === 0) continue;
      const before = await redisCpuSeconds(redis);
      await redis.hmget(scratch, ...flat.filter((_, i) => i % 2 === 0));
      await redis.hset(scratch, ...flat);
      seconds += (await redisCpuSeconds(redis)) - before;
    } while (cursor !== '0');
    await redis.del(scratch);
  }
  return (seconds * 1e6) / TOTAL;
}

/**
 * Validation alone, in this process: each sample event validated without and
 * with the default tracking plan; CPU µs per event of each.
 */
/** CPU µs per event of validation alone: a warm-up pass, then five. */
function validationUs(validator: EventValidator, events: Record<string, unknown>[]): number {
  const now = Date.now();
  for (const e of events) validator.validate(e, now); // warm-up
  const rounds = 5;
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) for (const e of events) validator.validate(e, now);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (rounds * events.length);
}

function validationCost(rows: Record<string, string>[]) {
  const ctx = createContext({}, { ...process.env, ...env, LOG_LEVEL: 'silent' });
  const events = rows.map(
    (r) =>
      JSON.parse(JSON.stringify({ ...r, client_id: r.client_id ?? r.clientId })) as Record<string, unknown>,
  );
  const without = validationUs(new EventValidator(ctx.config.ingest), events);
  const withPlan = validationUs(new EventValidator(ctx.config.ingest, ctx.plan), events);
  return { without, withPlan, plan: ctx.plan?.version ?? 'none' };
}

/** One monitor process (the compiled CLI, as it runs in production) and its metrics port. */
async function startMonitor(namespace: string, topic: string, extraEnv: Record<string, string>) {
  // no transpiler in the measurement
  const nodeArgs = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(opts.profile)] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'dist/cli/main.js'), 'consume'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      MONITOR_NAMESPACE: namespace,
      KAFKA_TOPIC: topic,
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  let port = 0;
  while (!port) {
    if (child.exitCode !== null) throw new Error(`monitor exited early:\n${output}`);
    port = Number(/"metricsPort":(\d+)/.exec(output)?.[1] ?? 0);
    await new Promise((r) => setTimeout(r, 50));
  }
  const consumed = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^em_messages_consumed_total\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  return { pid: child.pid!, consumed, stop };
}

/**
 * The real monitor, as `replicas` processes of one consumer group (what
 * `docker compose up --scale monitor=N` runs); events/s from their consumed
 * counters, measured from the moment every process consumes (start-up,
 * joining and the first rebalance left out). CPU is the processes' sum, peak
 * RSS the largest of one process.
 */
async function monitorConsume(
  namespace: string,
  topic: string,
  redis: RedisClient,
  extraEnv: Record<string, string> = {},
  replicas = 1,
  total = TOTAL,
) {
  const monitors = await Promise.all(
    Array.from({ length: replicas }, () => startMonitor(namespace, topic, extraEnv)),
  );
  const monitorCpu = () => monitors.reduce((n, m) => n + processCpuSeconds(m.pid), 0);
  const peakRss = () => Math.max(...monitors.map((m) => peakRssMb(m.pid)));
  let first = 0;
  let rssSmall = 0;
  let cpuAtFirst = 0;
  // the broker's CPU too, when the stack runs it (null when Kafka is not ours to watch)
  const brokerPid = livePidOf('kafka');
  let brokerCpuAtFirst = 0;
  const servers = serversOf(redis);
  let redisCpuAtFirst: number[] = [];
  let consumedAtFirst = 0;
  const early = Math.min(200_000, Math.floor(total / 5));
  for (;;) {
    const each = await Promise.all(monitors.map((m) => m.consumed()));
    const consumed = each.reduce((n, c) => n + c, 0);
    if (!first && each.every((c) => c > 0)) {
      first = Date.now();
      cpuAtFirst = monitorCpu();
      if (brokerPid) brokerCpuAtFirst = processCpuSeconds(brokerPid);
      redisCpuAtFirst = await cpuOf(servers);
      consumedAtFirst = consumed;
    }
    if (!rssSmall && consumed >= early) rssSmall = peakRss();
    if (consumed >= total) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = Date.now();
  if (!first) {
    // one of them joined the group after the others had consumed every event: nothing to compare
    await Promise.all(monitors.map((m) => m.stop()));
    return null;
  }
  const rssLarge = peakRss();
  // per event of those consumed while measured
  const measured = total - consumedAtFirst;
  const cpuUsPerEvent = ((monitorCpu() - cpuAtFirst) * 1e6) / measured;
  const brokerCpuUsPerEvent = brokerPid
    ? ((processCpuSeconds(brokerPid) - brokerCpuAtFirst) * 1e6) / measured
    : null;
  const redisCpuAtEnd = await cpuOf(servers);
  const perServer = servers.map((s, i) => ({
    name: s.name,
    cpuUsPerEvent: ((redisCpuAtEnd[i]! - redisCpuAtFirst[i]!) * 1e6) / measured,
  }));
  const redisCpuUsPerEvent = perServer.reduce((n, s) => n + s.cpuUsPerEvent, 0);
  await Promise.all(monitors.map((m) => m.stop()));
  return {
    eps: measured / ((end - first) / 1000),
    rssSmall,
    rssLarge,
    cpuUsPerEvent,
    redisCpuUsPerEvent,
    brokerCpuUsPerEvent,
    perServer,
  };
}

/** One monitor process: it always consumes, so it is always measured. */
async function oneMonitorConsume(
  namespace: string,
  topic: string,
  redis: RedisClient,
  extraEnv: Record<string, string> = {},
  total = TOTAL,
) {
  const run = await monitorConsume(namespace, topic, redis, extraEnv, 1, total);
  if (!run) throw new Error('the monitor consumed nothing');
  return run;
}

/**
 * The monitor on the local Redis Cluster, with WAIT for one replica (the
 * cluster default) and without: events/s and Redis CPU per event on each node.
 * One namespace-day lives in one slot, so its busiest master is what one shard
 * sustains for it.
 */
async function clusterRuns(topic: string) {
  const nodes = await startRedisCluster(() => {});
  const out: Record<string, unknown> = {};
  for (const minReplicas of ['1', '0']) {
    const namespace = `bench-cluster-wait${minReplicas}-${Date.now()}`;
    const clusterEnv = { REDIS_CLUSTER_NODES: nodes, REDIS_MIN_REPLICAS: minReplicas };
    const ctx = createContext(
      {},
      { ...process.env, ...env, ...clusterEnv, MONITOR_NAMESPACE: namespace, LOG_LEVEL: 'silent' },
    );
    const cluster = createRedis(ctx.env);
    await new Promise((r) => cluster.once('ready', r));
    // every node's CPU is measured: the client's slot map must list the replicas too, which
    // a cluster just made can still lack when the client first reads it
    if (isCluster(cluster)) {
      const expected = nodes.split(',').length;
      await waitFor(
        'every node of the Redis Cluster in the client slot map',
        async () => {
          await new Promise((r) => cluster.refreshSlotsCache(r));
          return cluster.nodes('all').length >= expected;
        },
        30_000,
      );
    }
    const run = await oneMonitorConsume(namespace, topic, cluster, clusterEnv);
    const busiest = Math.max(...run.perServer.map((s) => s.cpuUsPerEvent));
    say(
      `Redis Cluster, ${minReplicas === '1' ? 'WAIT for 1 replica' : 'no WAIT          '}: ${Math.round(run.eps).toLocaleString('en-US')} events/s; Redis CPU per event ${run.redisCpuUsPerEvent.toFixed(1)} µs in all, by node: ${run.perServer.map((s) => `${s.name} ${s.cpuUsPerEvent.toFixed(2)}`).join(', ')}; one shard sustains ~${Math.round(1e6 / busiest).toLocaleString('en-US')} events/s of one namespace-day`,
    );
    out[minReplicas === '1' ? 'cluster_wait' : 'cluster_no_wait'] = {
      monitor_eps: Math.round(run.eps),
      redis_cpu_us_per_event: Number(run.redisCpuUsPerEvent.toFixed(2)),
      redis_cpu_us_per_event_by_node: Object.fromEntries(
        run.perServer.map((s) => [s.name, Number(s.cpuUsPerEvent.toFixed(3))]),
      ),
      shard_capacity_eps: Math.round(1e6 / busiest),
    };
    await new MonitorState(cluster, namespace).deleteNamespace();
    cluster.disconnect();
  }
  return out;
}

const FORMAT_EVENTS = 200_000;

/**
 * Each source format through the real monitor, at the same size: the export's
 * events (as the main run makes them) converted into the format, consumed with
 * only source.format configured. Events/s, CPU per event in the monitor and in
 * Redis, the validator alone, and the bytes a day's event-id set costs per event.
 */
async function formatRuns(kafka: Kafka, redis: Redis) {
  const total = Math.min(TOTAL, FORMAT_EVENTS);
  const rows = sampleRows();
  const out: Record<string, unknown> = {};
  for (const format of EVENT_FORMAT_NAMES) {
    const config = parseMonitorConfig({ source: { format } });
    const decoder = new MessageDecoder(undefined, config.ingest.maxMessageBytes, config.source.payload);
    const namespace = `bench-format-${format}-${Date.now()}`;
    const topic = `bench.${namespace}.events`;
    await ensureTopics(kafka, topic, PARTITIONS);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const sample: Record<string, unknown>[] = [];
    let batch: { key: string | null; value: string; timestamp: string }[] = [];
    let i = 0;
    for (const m of events(rows)) {
      if (i >= total) break;
      const fields = JSON.parse(m.value) as Record<string, string | null>;
      const value = CONVERTERS[format]({
        file: 'bench',
        line: i++,
        header: Object.keys(fields),
        fields,
        timestampMs: Number(m.timestamp),
      });
      if (sample.length < 20_000) {
        const d = decoder.decodePlain(Buffer.from(value));
        if (d.ok) sample.push(d.value);
      }
      batch.push({ key: m.key, value, timestamp: m.timestamp });
      if (batch.length === 5000) {
        await producer.send({ topic, acks: 1, messages: batch });
        batch = [];
      }
    }
    if (batch.length) await producer.send({ topic, acks: 1, messages: batch });
    await producer.disconnect();

    const dir = mkdtempSync(join(tmpdir(), 'em-bench-'));
    const configFile = join(dir, 'monitor.yaml');
    writeFileSync(configFile, `source:\n  format: ${format}\n`);
    const run = await oneMonitorConsume(namespace, topic, redis, { MONITOR_CONFIG_FILE: configFile }, total);
    const validation = validationUs(new EventValidator(config.ingest, null, config.source), sample);
    const keys = new StateKeys(namespace);
    let idBytes = 0;
    for (const day of [SMALL_DAY, LARGE_DAY])
      idBytes += Number((await redis.memory('USAGE', keys.dayKey(day, 'eventIds'))) ?? 0);
    const bytesPerId = idBytes / total;
    say(
      `format ${format.padEnd(18)}: ${Math.round(run.eps).toLocaleString('en-US')} events/s, CPU per event: monitor ${run.cpuUsPerEvent.toFixed(1)} µs, Redis ${run.redisCpuUsPerEvent.toFixed(1)} µs; validation alone ${validation.toFixed(2)} µs; event ids ${idBytes === 0 ? 'none (the format has none)' : `${bytesPerId.toFixed(0)} bytes of Redis per event (${(idBytes / 1_048_576).toFixed(1)} MB for ${total.toLocaleString('en-US')})`}`,
    );
    out[format] = {
      events: total,
      monitor_eps: Math.round(run.eps),
      monitor_cpu_us_per_event: Number(run.cpuUsPerEvent.toFixed(2)),
      redis_cpu_us_per_event: Number(run.redisCpuUsPerEvent.toFixed(2)),
      validation_us_per_event: Number(validation.toFixed(3)),
      event_id_bytes_per_event: Number(bytesPerId.toFixed(1)),
    };
    await new MonitorState(redis, namespace).deleteNamespace();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
  }
  return { formats: out };
}

const SHAPES_EVENTS = 200_000;

/**
 * State under what senders vary: 200,000 events each with a field set of its
 * own, beside 200,000 uniform ones. The consumer's RSS, the namespace's Redis
 * bytes, and the bytes of its keys without a TTL (none may grow with shapes).
 */
async function shapesRuns(kafka: Kafka, redis: Redis) {
  const rows = sampleRows();
  const out: Record<string, number> = {};
  for (const distinct of [false, true]) {
    const label = distinct ? 'distinct' : 'uniform';
    const namespace = `bench-shapes-${label}-${Date.now()}`;
    const topic = `bench.${namespace}.events`;
    await ensureTopics(kafka, topic, PARTITIONS);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const day = Date.parse(`${LARGE_DAY}T00:00:00Z`);
    for (let i = 0; i < SHAPES_EVENTS; i += 5000) {
      const messages = [];
      for (let k = i; k < Math.min(i + 5000, SHAPES_EVENTS); k++) {
        const row = rows[k % rows.length]!;
        const event: Record<string, unknown> = {
          client_id: `c-${k % 20_000}`,
          page_url: row.page_url || null,
          referrer: null,
          timestamp: new Date(day + Math.floor((k / SHAPES_EVENTS) * 86_399_000)).toISOString(),
          event_name: row.event_name,
          event_data: null,
          user_agent: row.user_agent || null,
        };
        if (distinct) event[`field_${k}`] = 1;
        messages.push({ key: `c-${k % 20_000}`, value: JSON.stringify(event) });
      }
      await producer.send({ topic, acks: 1, messages });
    }
    await producer.disconnect();
    const run = await oneMonitorConsume(namespace, topic, redis, {}, SHAPES_EVENTS);
    const keys: string[] = [];
    const layout = new StateKeys(namespace);
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', layout.dayKeysPattern(), 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    for (const key of layout.namespaceKeys()) if (await redis.exists(key)) keys.push(key);
    let bytes = 0;
    let noTtlBytes = 0;
    for (const key of keys) {
      const size = Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      bytes += size;
      if ((await redis.ttl(key)) === -1) noTtlBytes += size;
    }
    out[`shapes_${label}_rss_mb`] = Number(run.rssLarge.toFixed(1));
    out[`shapes_${label}_redis_bytes`] = bytes;
    out[`shapes_${label}_redis_bytes_without_ttl`] = noTtlBytes;
    await new MonitorState(redis, namespace).deleteNamespace();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
  }
  out.shapes_distinct_over_uniform_rss = Number(
    (out.shapes_distinct_rss_mb! / out.shapes_uniform_rss_mb!).toFixed(3),
  );
  say(
    `${SHAPES_EVENTS.toLocaleString('en-US')} distinct field sets: consumer RSS ${out.shapes_distinct_rss_mb} MB vs ${out.shapes_uniform_rss_mb} MB uniform (× ${out.shapes_distinct_over_uniform_rss}); Redis ${(out.shapes_distinct_redis_bytes! / 1e6).toFixed(1)} MB vs ${(out.shapes_uniform_redis_bytes! / 1e6).toFixed(1)} MB, of it without a TTL: ${out.shapes_distinct_redis_bytes_without_ttl} vs ${out.shapes_uniform_redis_bytes_without_ttl} bytes`,
  );
  return out;
}

async function main() {
  say(
    `event-monitor bench: ${TOTAL.toLocaleString('en-US')} events shaped like the real export, ${PARTITIONS} partitions`,
  );
  await up(() => {});
  execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const namespace = `bench-${Date.now()}`;
  const topic = `bench.${namespace}.events`;
  const kafka = new Kafka({ clientId: 'bench', brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, topic, PARTITIONS);
  const produceSeconds = await produce(kafka, topic);
  say(`produced in ${produceSeconds.toFixed(1)} s`);

  const { eps: raw } = await rawConsume(kafka, topic);
  say(`raw kafkajs consume:   ${Math.round(raw).toLocaleString('en-US')} events/s`);
  const { eps: floor, cpuUsPerEvent: floorCpu } = await decodeFloorConsume(kafka, topic);
  say(
    `decode floor:          ${Math.round(floor).toLocaleString('en-US')} events/s (kafkajs + UTF-8 + JSON.parse of value and event_data), ${floorCpu.toFixed(1)} µs CPU per event`,
  );
  const ctx = createContext(
    {},
    { ...process.env, ...env, MONITOR_NAMESPACE: namespace, LOG_LEVEL: 'silent' },
  );
  const redis = createRedis(ctx.env);
  const monitor = await oneMonitorConsume(namespace, topic, redis);
  say(
    `monitor (full path):   ${Math.round(monitor.eps).toLocaleString('en-US')} events/s   monitor ÷ raw = ${(monitor.eps / raw).toFixed(2)}, monitor ÷ decode floor = ${(monitor.eps / floor).toFixed(2)}`,
  );
  const brokerCpu = monitor.brokerCpuUsPerEvent;
  say(
    `CPU per event:         monitor ${monitor.cpuUsPerEvent.toFixed(1)} µs, Redis ${monitor.redisCpuUsPerEvent.toFixed(1)} µs${brokerCpu === null ? '' : `, Kafka broker ${brokerCpu.toFixed(1)} µs`}`,
  );
  // What the machine's cores allow at these costs, however the work were spread over threads.
  const cores = availableParallelism();
  const cpuInAll = monitor.cpuUsPerEvent + monitor.redisCpuUsPerEvent + (brokerCpu ?? 0);
  const cpuBoundEps = (cores * 1e6) / cpuInAll;
  say(
    `CPU bound:             ${cores} cores at ${cpuInAll.toFixed(1)} µs per event in all sustain at most ${Math.round(cpuBoundEps).toLocaleString('en-US')} events/s, whatever the concurrency; 0.6 × decode floor would allow ${((cores * 1e6) / (0.6 * floor)).toFixed(1)} µs in all, ${(1e6 / (0.6 * floor)).toFixed(1)} µs on one thread`,
  );
  const clientFloor = isCluster(redis) ? null : await redisClientFloor(redis, namespace);
  if (clientFloor !== null) {
    say(
      `Redis floor:           ${clientFloor.toFixed(1)} µs/event (the same client-days stored with plain HMGET and HSET, no script)`,
    );
  }
  const validation = validationCost(sampleRows());
  say(
    `validation alone:      ${validation.without.toFixed(2)} µs/event without a plan, ${validation.withPlan.toFixed(2)} µs/event with the default plan (${validation.plan}): the plan costs ${(validation.withPlan - validation.without).toFixed(2)} µs/event`,
  );

  const state = new MonitorState(redis, namespace);
  const log = createLogger('silent');
  const deps = {
    state,
    config: ctx.config,
    timezone: 'UTC',
    notify: notifierOf({}, { alertTtlHours: 24, log }),
    log,
    planVersion: ctx.plan?.version ?? null,
  };
  // the median of five close-outs of each day (the first computes, the others re-run it): one
  // sample of some 20 ms is at the mercy of a GC pause or a busy core
  const closeoutMs = async (day: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await closeOut(deps, day, { rerun: i > 0 })).durationMs);
    return times.sort((a, b) => a - b)[2]!;
  };
  const small = await closeoutMs(SMALL_DAY);
  const large = await closeoutMs(LARGE_DAY);
  say(
    `close-out: ${SMALL_DAY_EVENTS.toLocaleString('en-US')}-event day ${small} ms, ${(TOTAL - SMALL_DAY_EVENTS).toLocaleString('en-US')}-event day ${large} ms, large ÷ small = ${(large / small).toFixed(2)}`,
  );
  say(
    `consumer peak RSS: ${monitor.rssSmall.toFixed(0)} MB early, ${monitor.rssLarge.toFixed(0)} MB at the end`,
  );

  // Two monitors of one group share the partitions and the cores: what scaling out gives here.
  // The second takes its partitions a few seconds in (a rebalance), and each warms up after:
  // a short run would measure mostly that.
  const scaledNamespace = `${namespace}-x2`;
  const scaled =
    TOTAL >= SCALED_RUN_MIN_EVENTS ? await monitorConsume(scaledNamespace, topic, redis, {}, 2) : null;
  say(
    scaled
      ? `two monitors (--scale 2): ${Math.round(scaled.eps).toLocaleString('en-US')} events/s, ÷ decode floor = ${(scaled.eps / floor).toFixed(2)}; CPU per event: monitors ${scaled.cpuUsPerEvent.toFixed(1)} µs, Redis ${scaled.redisCpuUsPerEvent.toFixed(1)} µs; peak RSS ${scaled.rssLarge.toFixed(0)} MB per process`
      : `two monitors (--scale 2): not measured (runs of ${SCALED_RUN_MIN_EVENTS.toLocaleString('en-US')} events or more, with both consuming)`,
  );
  await new MonitorState(redis, scaledNamespace).deleteNamespace();

  const figures = {
    events: TOTAL,
    raw_consume_eps: Math.round(raw),
    decode_floor_eps: Math.round(floor),
    monitor_eps: Math.round(monitor.eps),
    monitor_over_raw: Number((monitor.eps / raw).toFixed(3)),
    monitor_over_decode_floor: Number((monitor.eps / floor).toFixed(3)),
    monitor_cpu_us_per_event: Number(monitor.cpuUsPerEvent.toFixed(2)),
    redis_cpu_us_per_event: Number(monitor.redisCpuUsPerEvent.toFixed(2)),
    broker_cpu_us_per_event: brokerCpu === null ? null : Number(brokerCpu.toFixed(2)),
    decode_floor_cpu_us_per_event: Number(floorCpu.toFixed(2)),
    cores,
    cpu_bound_eps: Math.round(cpuBoundEps),
    redis_client_floor_us_per_event: clientFloor === null ? null : Number(clientFloor.toFixed(2)),
    validation_us_per_event_without_plan: Number(validation.without.toFixed(3)),
    validation_us_per_event_with_plan: Number(validation.withPlan.toFixed(3)),
    tracking_plan: validation.plan,
    closeout_ms_small: small,
    closeout_ms_large: large,
    large_over_small: Number((large / small).toFixed(3)),
    rss_mb_small: Number(monitor.rssSmall.toFixed(1)),
    rss_mb_large: Number(monitor.rssLarge.toFixed(1)),
    two_monitors_eps: scaled ? Math.round(scaled.eps) : null,
    two_monitors_over_decode_floor: scaled ? Number((scaled.eps / floor).toFixed(3)) : null,
    two_monitors_cpu_us_per_event: scaled ? Number(scaled.cpuUsPerEvent.toFixed(2)) : null,
    two_monitors_rss_mb: scaled ? Number(scaled.rssLarge.toFixed(1)) : null,
    ...(opts.redisCluster ? await clusterRuns(topic) : {}),
    ...(isCluster(redis) ? {} : await shapesRuns(kafka, redis)),
    ...(isCluster(redis) ? {} : await formatRuns(kafka, redis)),
  };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(figures, null, 2)}\n`);
  await state.deleteNamespace();
  redis.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
  await admin.disconnect();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
