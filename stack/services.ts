/**
 * The local stack: real Kafka (KRaft), Apicurio Registry, Redis, Prometheus and
 * Alertmanager on 127.0.0.1, installed on first use from Maven Central and
 * Debian's packages and kept under .stack/ (git-ignored).
 *
 * Each service is one definition (name, endpoint, readiness probe, install,
 * launch); `up`, `down` and `status` iterate the list, and one function
 * (ensureRunning) is the start-a-service template for all of them.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LOCAL_ENDPOINTS } from '../src/config/endpoints.ts';
import {
  httpOk,
  type Log,
  livePid,
  logFileOf,
  portOpen,
  processAlive,
  REPO_ROOT,
  run,
  STACK_DIR,
  StackError,
  startDetached,
  startedNames,
  stopPid,
  waitFor,
  which,
} from './process.ts';
import { findJava, maven } from './tools.ts';

export { REPO_ROOT, STACK_DIR, StackError } from './process.ts';

export const KAFKA_VERSION = '3.9.1';
export const APICURIO_VERSION = '3.3.3';

export interface ServiceStatus {
  name: string;
  state: 'running' | 'stopped' | 'external';
  pid?: number;
  endpoint: string;
}

/** One service of the stack. */
export interface ServiceDefinition {
  /** Its pid file and log file are named after it. */
  name: string;
  endpoint: string;
  /** What runs, for the log line: "Apache Kafka 3.9.1". */
  label: string;
  /** Answers at its endpoint. */
  ready(): Promise<boolean>;
  readyTimeoutMs: number;
  /**
   * A service answering there that this stack did not start: use it (default),
   * refuse to, or use it when the check says it is the right kind.
   */
  foreign?: 'use' | 'refuse' | (() => boolean);
  /** Fetch what it runs, once (idempotent). */
  install?(log: Log): void;
  /** Start it detached; returns its pid. */
  launch(): number;
  /** It was already running, started by us: bring it up to date. */
  refresh?(log: Log): Promise<void>;
}

/** Start the service unless it already answers; wait until it does. */
export async function ensureRunning(s: ServiceDefinition, log: Log): Promise<ServiceStatus> {
  const pid = livePid(s.name);
  let answering = await s.ready().catch(() => false);
  if (!answering && pid) {
    // Ours and alive but slow to answer (a loaded machine): wait for it. Launching a second one
    // would only fail to bind, and its pid file would then hide the first from `stack:down`.
    await waitFor(`${s.name} on ${s.endpoint}`, s.ready, s.readyTimeoutMs, logFileOf(s.name));
    answering = true;
  }
  if (answering) {
    if (pid) {
      await s.refresh?.(log);
      return { name: s.name, state: 'running', pid, endpoint: s.endpoint };
    }
    if (s.foreign === 'refuse' || (typeof s.foreign === 'function' && !s.foreign())) {
      throw new StackError(
        `${s.name}: ${s.endpoint} is taken by a process this stack did not start; stop it first`,
      );
    }
    return { name: s.name, state: 'external', endpoint: s.endpoint };
  }
  s.install?.(log);
  const started = s.launch();
  await waitFor(`${s.name} on ${s.endpoint}`, s.ready, s.readyTimeoutMs, logFileOf(s.name));
  log(`${s.name}: started ${s.label} on ${s.endpoint} (pid ${started})`);
  return { name: s.name, state: 'running', pid: started, endpoint: s.endpoint };
}

async function statusOf(s: ServiceDefinition): Promise<ServiceStatus> {
  const pid = livePid(s.name);
  const ok = await s.ready().catch(() => false);
  return {
    name: s.name,
    endpoint: s.endpoint,
    state: pid && ok ? 'running' : ok ? 'external' : 'stopped',
    ...(pid ? { pid } : {}),
  };
}

const hostPort = (url: string) => {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: u.hostname, port: Number(u.port) };
};

export function stackEnv(): Record<keyof typeof LOCAL_ENDPOINTS, string> {
  return { ...LOCAL_ENDPOINTS, REDIS_URL: process.env.REDIS_URL ?? LOCAL_ENDPOINTS.REDIS_URL };
}

/** The pid of a process the stack started, if it still runs (chaos tests pause and resume it). */
export const livePidOf = (name: string) => livePid(name);

// ---------------------------------------------------------------- Kafka

export interface KafkaInstance {
  name: string;
  port: number;
  controllerPort: number;
  /** Extra server.properties (fault tests cap the group size, say). */
  properties?: Record<string, string>;
}

export const MAIN_KAFKA: KafkaInstance = {
  name: 'kafka',
  port: hostPort(LOCAL_ENDPOINTS.KAFKA_BROKERS).port,
  controllerPort: hostPort(LOCAL_ENDPOINTS.KAFKA_BROKERS).port + 100,
};

function kafkaLibs() {
  return join(STACK_DIR, 'kafka', KAFKA_VERSION, 'libs');
}

function installKafka(log: Log) {
  const libs = kafkaLibs();
  if (existsSync(join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  log(`kafka: resolving Apache Kafka ${KAFKA_VERSION} from Maven Central (first run only)`);
  maven(
    [
      `-Dkafka.version=${KAFKA_VERSION}`,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libs}`,
    ],
    'resolving Kafka with Maven',
  );
}

function kafkaJava() {
  const java = findJava(17);
  if (!java)
    throw new StackError(
      'kafka: no Java 17+ found: install it with `apt-get install openjdk-17-jre-headless`',
    );
  return java;
}

export function kafkaService(instance: KafkaInstance): ServiceDefinition {
  return {
    name: instance.name,
    endpoint: `127.0.0.1:${instance.port}`,
    label: KAFKA_VERSION,
    ready: () => portOpen('127.0.0.1', instance.port),
    readyTimeoutMs: 90_000,
    install: installKafka,
    launch() {
      const java = kafkaJava();
      const home = join(STACK_DIR, instance.name);
      const dataDir = join(home, 'data');
      mkdirSync(home, { recursive: true });
      const props = join(home, 'server.properties');
      writeFileSync(props, kafkaProperties(instance, dataDir));
      writeFileSync(join(home, 'log4j.properties'), KAFKA_LOG4J);
      const cp = `${kafkaLibs()}/*`;
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        // KRaft needs its storage formatted once with a cluster id.
        const clusterId = `em${Math.random().toString(36).slice(2, 12)}`.padEnd(22, 'x').slice(0, 22);
        run(
          java,
          ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props],
          'formatting Kafka storage',
        );
      }
      return startDetached(instance.name, java, [
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        `-Dlog4j.configuration=file:${join(home, 'log4j.properties')}`,
        `-Dkafka.logs.dir=${home}`,
        '-cp',
        cp,
        'kafka.Kafka',
        props,
      ]);
    },
  };
}

/** A Kafka broker of ours, unless one already answers on its port (used either way). */
export const startKafka = (instance: KafkaInstance, log: Log) => ensureRunning(kafkaService(instance), log);

function kafkaProperties(k: KafkaInstance, dataDir: string) {
  return `# written by stack/services.ts
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${k.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${k.port},CONTROLLER://127.0.0.1:${k.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${k.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${dataDir}
# as in production: topics are created on purpose, never by a typo
auto.create.topics.enable=false
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Replays keep each row's original timestamp (months old). Time-based retention
# would delete them at the next retention check (every 5 minutes), under a
# running test or demo; this stack keeps data until its size cap or deletion.
log.retention.ms=-1
log.retention.bytes=1073741824
${Object.entries(k.properties ?? {})
  .map(([key, value]) => `${key}=${value}\n`)
  .join('')}`;
}

const KAFKA_LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO
`;

// ---------------------------------------------------------------- Apicurio Registry

function apicurioHome() {
  return join(STACK_DIR, 'apicurio', APICURIO_VERSION);
}

function installApicurio(log: Log) {
  if (existsSync(join(apicurioHome(), 'quarkus-run.jar'))) return;
  log(
    `registry: resolving Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only, ~160 MB)`,
  );
  // copy + tar rather than dependency:unpack, whose marker files skip an unpack done anywhere before
  const archive = `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`;
  maven(
    [
      'dependency:copy',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${apicurioHome()}`,
    ],
    'resolving Apicurio Registry with Maven',
  );
  run('tar', ['-xzf', join(apicurioHome(), archive), '-C', apicurioHome()], 'unpacking Apicurio Registry');
  rmSync(join(apicurioHome(), archive));
}

export interface RegistryInstance {
  name: string;
  /** Its Confluent-compatible endpoint, e.g. http://127.0.0.1:18081/apis/ccompat/v7 */
  endpoint: string;
}

export const MAIN_REGISTRY: RegistryInstance = {
  name: 'registry',
  endpoint: LOCAL_ENDPOINTS.SCHEMA_REGISTRY_URL,
};

/** An Apicurio Registry kept in memory: a fresh instance holds no schemas (the guard test starts its own). */
const registryService = (instance: RegistryInstance = MAIN_REGISTRY): ServiceDefinition => {
  const endpoint = instance.endpoint;
  const port = new URL(endpoint).port;
  return {
    name: instance.name,
    endpoint,
    label: `Apicurio Registry ${APICURIO_VERSION}`,
    ready: httpOk(`${endpoint}/subjects`),
    readyTimeoutMs: 120_000,
    install: installApicurio,
    launch() {
      const java = findJava(21);
      if (!java) {
        throw new StackError(
          `registry: Apicurio Registry ${APICURIO_VERSION} needs Java 21+; none found (JAVA_HOME, PATH, /usr/lib/jvm): install a JDK 21 and set JAVA_HOME`,
        );
      }
      return startDetached(instance.name, java, [
        '-Xms128m',
        '-Xmx512m',
        `-Dquarkus.http.host=127.0.0.1`,
        `-Dquarkus.http.port=${port}`,
        // the management interface is compiled in; keep it off the wildcard address and the usual 9000
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${Number(port) + 1}`,
        '-Dquarkus.log.level=WARN',
        `-Dapicurio.stack.dir=${STACK_DIR}`,
        '-jar',
        join(apicurioHome(), 'quarkus-run.jar'),
      ]);
    },
  };
};

// ---------------------------------------------------------------- Redis

export interface RedisInstance {
  name: string;
  port: number;
  password?: string;
}

async function redisPing(port: number, password?: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    socket.setTimeout(1000, () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG') || buf.includes('-')) {
        socket.destroy();
        done(buf.includes('+PONG'));
      }
    });
  });
}

/** A redis-server on loopback, in the foreground, persisting to its append-only file in `dir`. */
const redisServerArgs = (port: number, dir: string) => [
  '--bind',
  '127.0.0.1',
  '--port',
  String(port),
  '--dir',
  dir,
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--save',
  '',
  '--daemonize',
  'no',
];

/** A Redis of our own (append-only on); the main one is usually the machine's, used as it is. */
export function redisService(instance: RedisInstance, reuseExisting = true): ServiceDefinition {
  return {
    name: instance.name,
    endpoint: `redis://127.0.0.1:${instance.port}`,
    label: 'Redis (appendonly yes)',
    ready: () => redisPing(instance.port, instance.password),
    readyTimeoutMs: 20_000,
    foreign: reuseExisting ? 'use' : 'refuse',
    launch() {
      const bin = which('redis-server');
      if (!bin)
        throw new StackError('redis: redis-server not found: install it with `apt-get install redis-server`');
      const dir = join(STACK_DIR, instance.name);
      mkdirSync(dir, { recursive: true });
      const args = redisServerArgs(instance.port, dir);
      if (instance.password) args.push('--requirepass', instance.password);
      return startDetached(instance.name, bin, args);
    },
  };
}

/** Start a Redis of our own unless one already answers (reuseExisting false: refuse a foreign one). */
export const startRedis = (instance: RedisInstance, log: Log, reuseExisting = true) =>
  ensureRunning(redisService(instance, reuseExisting), log);

const mainRedis = (): RedisInstance => ({ name: 'redis', port: hostPort(stackEnv().REDIS_URL).port });

// ---------------------------------------------------------------- Redis Cluster

/** A local Redis Cluster: three masters and three replicas on fixed loopback ports (bus: port + 10000). */
export interface RedisClusterInstance {
  name: string;
  ports: readonly [number, number, number, number, number, number];
}

/** The stack's cluster; the failover tests kill masters of one of their own. */
export const MAIN_REDIS_CLUSTER: RedisClusterInstance = {
  name: 'redis-cluster',
  ports: [17001, 17002, 17003, 17004, 17005, 17006],
};
export const redisClusterNodesOf = (c: RedisClusterInstance) =>
  c.ports.map((p) => `127.0.0.1:${p}`).join(',');
export const REDIS_CLUSTER_NODES = redisClusterNodesOf(MAIN_REDIS_CLUSTER);
export const redisClusterNodeName = (c: RedisClusterInstance, port: number) => `${c.name}-${port}`;

/**
 * One node of a local cluster. A replica takes over 2 s after its master
 * stops answering, whatever its replication lag (validity factor 0), as the
 * failover tests need; a node restarted from its nodes.conf rejoins.
 */
export function redisClusterNodeService(c: RedisClusterInstance, port: number): ServiceDefinition {
  const name = redisClusterNodeName(c, port);
  return {
    name,
    endpoint: `127.0.0.1:${port}`,
    label: 'Redis Cluster node (appendonly yes)',
    ready: () => redisPing(port),
    readyTimeoutMs: 20_000,
    // another checkout's cluster on these ports serves as well (namespaces keep tests apart); a
    // plain Redis there would not
    foreign: () => /cluster_enabled:1/.test(redisCli(port, 'info', 'cluster').stdout),
    launch() {
      const bin = which('redis-server');
      if (!bin)
        throw new StackError('redis: redis-server not found: install it with `apt-get install redis-server`');
      const dir = join(STACK_DIR, name);
      mkdirSync(dir, { recursive: true });
      return startDetached(name, bin, [
        ...redisServerArgs(port, dir),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
        '--cluster-replica-validity-factor',
        '0',
      ]);
    },
  };
}

const redisCli = (port: number, ...args: string[]) =>
  spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });

const clusterStateOk = (port: number) => /cluster_state:ok/.test(redisCli(port, 'cluster', 'info').stdout);

/** A master with a replica attached, or a replica whose link to its master is up (synced). */
const replicationUp = (port: number) => {
  const info = redisCli(port, 'info', 'replication').stdout;
  return /role:master/.test(info)
    ? /connected_slaves:[1-9]/.test(info)
    : /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info);
};

/**
 * Starts the six nodes (each unless already running) and, the first time,
 * makes them one cluster with `redis-cli --cluster create`; waits until every
 * node sees every slot served and every replica is in sync with its master.
 * Returns the nodes as REDIS_CLUSTER_NODES takes them.
 */
export async function startRedisCluster(
  log: Log = console.error,
  c: RedisClusterInstance = MAIN_REDIS_CLUSTER,
): Promise<string> {
  if (!which('redis-cli'))
    throw new StackError('redis-cluster: redis-cli not found: install it with `apt-get install redis-tools`');
  await Promise.all(c.ports.map((p) => ensureRunning(redisClusterNodeService(c, p), log)));
  const nodes = redisClusterNodesOf(c);
  const assigned = /cluster_slots_assigned:(\d+)/.exec(redisCli(c.ports[0], 'cluster', 'info').stdout)?.[1];
  if (assigned === '0') {
    run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.split(','), '--cluster-replicas', '1', '--cluster-yes'],
      `${c.name}: create`,
    );
    log(`${c.name}: created 3 masters and 3 replicas on ${nodes}`);
  }
  // restarted from its files, a replica resyncs before it holds anything: writes wait on it (WAIT)
  await waitFor(
    `${c.name}: every node serving every slot, every replica in sync`,
    async () =>
      c.ports.every(clusterStateOk) &&
      c.ports.every(replicationUp) &&
      redisCli(c.ports[0], '--cluster', 'check', `127.0.0.1:${c.ports[0]}`).status === 0,
    120_000,
  );
  return nodes;
}

export async function stopRedisCluster(
  log: Log = console.error,
  c: RedisClusterInstance = MAIN_REDIS_CLUSTER,
): Promise<void> {
  for (const p of c.ports) await stopPid(redisClusterNodeName(c, p), log);
}

// ---------------------------------------------------------------- Prometheus and Alertmanager

/**
 * Where a process that serves /metrics registers itself for the local
 * Prometheus (file_sd). One folder for the machine, not one per checkout: a
 * second checkout finds the first's stack on the same ports and uses it, and
 * that Prometheus must then scrape the second checkout's processes too (each
 * file names its namespace and pid; files of dead processes are pruned).
 */
export const PROMETHEUS_TARGETS_DIR =
  process.env.EVENT_MONITOR_TARGETS_DIR ??
  join(tmpdir(), `event-monitor-scrape-targets-${process.getuid?.() ?? 'user'}`);

/**
 * The local Prometheus runs the repo's prometheus.yml with its rules, but
 * discovers targets from files (PROMETHEUS_TARGETS_DIR) instead of docker DNS,
 * and scrapes every 2 s so tests and the demo see samples quickly.
 */
export function localPrometheusConfig(): string {
  const config = parseYaml(readFileSync(join(REPO_ROOT, 'prometheus.yml'), 'utf8'));
  config.global = { ...config.global, scrape_interval: '2s', evaluation_interval: '2s' };
  config.rule_files = (config.rule_files ?? []).map((f: string) =>
    join(REPO_ROOT, f.replace(/^\/etc\/prometheus\//, 'prometheus/')),
  );
  config.alerting = {
    alertmanagers: [{ static_configs: [{ targets: [new URL(LOCAL_ENDPOINTS.ALERTMANAGER_URL).host] }] }],
  };
  config.scrape_configs = (config.scrape_configs ?? []).map((job: { job_name: string }) => ({
    job_name: job.job_name,
    file_sd_configs: [
      { files: [join(PROMETHEUS_TARGETS_DIR, `${job.job_name}-*.json`)], refresh_interval: '2s' },
    ],
  }));
  return stringifyYaml(config);
}

const prometheusService = (): ServiceDefinition => {
  const endpoint = LOCAL_ENDPOINTS.PROMETHEUS_URL;
  const home = join(STACK_DIR, 'prometheus');
  const configFile = join(home, 'prometheus.yml');
  return {
    name: 'prometheus',
    endpoint,
    label: 'Prometheus',
    ready: httpOk(`${endpoint}/-/ready`),
    readyTimeoutMs: 60_000,
    async refresh(log) {
      // pick up rule and config changes made since it started
      writeFileSync(configFile, localPrometheusConfig());
      const reloaded = await fetch(`${endpoint}/-/reload`, { method: 'POST' }).catch(() => undefined);
      if (!reloaded?.ok)
        log('prometheus: reload of the configuration failed; see .stack/logs/prometheus.log');
    },
    launch() {
      const bin = which('prometheus');
      if (!bin) throw new StackError('prometheus: not found: install it with `apt-get install prometheus`');
      mkdirSync(home, { recursive: true });
      mkdirSync(PROMETHEUS_TARGETS_DIR, { recursive: true });
      writeFileSync(configFile, localPrometheusConfig());
      return startDetached('prometheus', bin, [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(home, 'data')}`,
        `--web.listen-address=${new URL(endpoint).host}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ]);
    },
  };
};

/** Receivers' secrets for the local Alertmanager: files under .stack/secrets (see alertmanager/alertmanager.yml). */
export const ALERTMANAGER_SECRETS_DIR = join(STACK_DIR, 'secrets');

export function localAlertmanagerConfig(): string {
  const text = readFileSync(join(REPO_ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8');
  return text.replaceAll('/etc/alertmanager/secrets', ALERTMANAGER_SECRETS_DIR);
}

const alertmanagerService = (): ServiceDefinition => {
  const endpoint = LOCAL_ENDPOINTS.ALERTMANAGER_URL;
  return {
    name: 'alertmanager',
    endpoint,
    label: 'Alertmanager',
    ready: httpOk(`${endpoint}/-/ready`),
    readyTimeoutMs: 30_000,
    launch() {
      const bin = which('prometheus-alertmanager') ?? which('alertmanager');
      if (!bin)
        throw new StackError(
          'alertmanager: not found: install it with `apt-get install prometheus-alertmanager`',
        );
      const home = join(STACK_DIR, 'alertmanager');
      mkdirSync(join(home, 'data'), { recursive: true });
      mkdirSync(ALERTMANAGER_SECRETS_DIR, { recursive: true });
      // Until an operator provides real ones, the receivers point at a local sink that is not listening.
      for (const [file, value] of Object.entries(DEFAULT_LOCAL_SECRETS)) {
        const path = join(ALERTMANAGER_SECRETS_DIR, file);
        if (!existsSync(path)) writeFileSync(path, value, { mode: 0o600 });
      }
      const configFile = join(home, 'alertmanager.yml');
      writeFileSync(configFile, localAlertmanagerConfig());
      return startDetached('alertmanager', bin, [
        `--config.file=${configFile}`,
        `--storage.path=${join(home, 'data')}`,
        `--web.listen-address=${new URL(endpoint).host}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ]);
    },
  };
};

const DEFAULT_LOCAL_SECRETS: Record<string, string> = {
  'slack-webhook-url': 'http://127.0.0.1:19099/slack',
  'pagerduty-routing-key': 'local-routing-key',
};

// ---------------------------------------------------------------- the whole stack

/** The stack, in start order; `down` stops it in reverse. */
export const STACK: () => ServiceDefinition[] = () => [
  redisService(mainRedis()),
  kafkaService(MAIN_KAFKA),
  registryService(),
  prometheusService(),
  alertmanagerService(),
];

/** Scrape target files of processes that died without removing theirs (SIGKILL). */
function pruneScrapeTargets() {
  if (!existsSync(PROMETHEUS_TARGETS_DIR)) return;
  for (const f of readdirSync(PROMETHEUS_TARGETS_DIR)) {
    const pid = Number(/-(\d+)\.json$/.exec(f)?.[1]);
    if (pid && !processAlive(pid)) rmSync(join(PROMETHEUS_TARGETS_DIR, f), { force: true });
  }
}

export async function up(log: Log = console.error): Promise<ServiceStatus[]> {
  mkdirSync(STACK_DIR, { recursive: true });
  pruneScrapeTargets();
  const services = STACK();
  // Installs run one after another (Maven's local repository is not safe for
  // concurrent writers); the processes then start in parallel.
  for (const s of services) s.install?.(log);
  return Promise.all(services.map((s) => ensureRunning(s, log)));
}

export async function down(log: Log = console.error): Promise<void> {
  await stopRedisCluster(log);
  for (const s of STACK().reverse()) await stopPid(s.name, log);
  // and whatever a test started and left running (a run killed before its clean-up)
  for (const name of startedNames()) await stopPid(name, log);
}

/** A registry of ours, unless one already answers on its port (used either way). */
export const startRegistry = (instance: RegistryInstance, log: Log) =>
  ensureRunning(registryService(instance), log);

/** Stop one named instance we started (chaos tests start their own Kafka and Redis). */
export async function stop(name: string, log: Log = () => {}): Promise<void> {
  await stopPid(name, log);
}

export async function status(): Promise<ServiceStatus[]> {
  return Promise.all(STACK().map(statusOf));
}
