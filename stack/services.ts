/**
 * The local stack: real Kafka (KRaft), Apicurio Registry, Redis, Prometheus and
 * Alertmanager on 127.0.0.1, installed on first use from Maven Central and
 * Debian's packages and kept under .stack/ (git-ignored).
 *
 * Every process we start gets a pid file; `down` stops only those, never by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { LOCAL_ENDPOINTS } from '../src/config/endpoints.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STACK_DIR = process.env.EVENT_MONITOR_STACK_DIR ?? join(REPO_ROOT, '.stack');

export const KAFKA_VERSION = '3.9.1';
export const APICURIO_VERSION = '3.3.3';

/** A piece of the stack could not be had: one line saying what and how to get it. */
export class StackError extends Error {
  override name = 'StackError';
}

export interface ServiceStatus {
  name: string;
  state: 'running' | 'stopped' | 'external';
  pid?: number;
  endpoint: string;
}

type Log = (line: string) => void;

const hostPort = (url: string) => {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: u.hostname, port: Number(u.port) };
};

export function stackEnv(): Record<keyof typeof LOCAL_ENDPOINTS, string> {
  return { ...LOCAL_ENDPOINTS, REDIS_URL: process.env.REDIS_URL ?? LOCAL_ENDPOINTS.REDIS_URL };
}

// ---------------------------------------------------------------- processes

function pidFile(name: string) {
  return join(STACK_DIR, 'run', `${name}.pid`);
}

/** The pid in NAME's pid file if that process is alive and still ours (cmdline carries our marker). */
function livePid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // ours if it runs from the stack folder: its command line names it, or (redis-server
    // rewrites its process title) its working directory is in it
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(STACK_DIR) || cmdline.includes(REPO_ROOT)) return pid;
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(STACK_DIR) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of a process the stack started, if it still runs (chaos tests pause and resume it). */
export const livePidOf = (name: string) => livePid(name);

function startDetached(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  mkdirSync(join(STACK_DIR, 'run'), { recursive: true });
  mkdirSync(join(STACK_DIR, 'logs'), { recursive: true });
  const out = openSync(join(STACK_DIR, 'logs', `${name}.log`), 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
    cwd: STACK_DIR,
  });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new StackError(`${name}: could not start ${command}`);
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

async function stopPid(name: string, log: Log) {
  const pid = livePid(name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    log(`${name}: stopped (pid ${pid})`);
  }
  rmSync(pidFile(name), { force: true });
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    // A zombie child still answers kill 0; its /proc state says Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  const tail = logFile && existsSync(logFile) ? `; last log lines:\n${tailOf(logFile, 15)}` : '';
  throw new StackError(`${what} did not become ready within ${timeoutMs / 1000}s${tail}`);
}

function tailOf(file: string, lines: number) {
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function run(cmd: string, args: string[], what: string) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const detail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-5).join(' | ');
    throw new StackError(`${what} failed (${cmd} ${args.join(' ')}): ${detail}`);
  }
}

// ---------------------------------------------------------------- java

function javaMajor(javaBin: string): number {
  const r = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? Number(m[1]) : 0;
}

/** A java binary of at least `major`: JAVA_HOME, then PATH, then any JDK under /usr/lib/jvm. */
export function findJava(major: number): string | undefined {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  const onPath = which('java');
  if (onPath) candidates.push(onPath);
  if (existsSync('/usr/lib/jvm')) {
    for (const d of readdirSync('/usr/lib/jvm').sort().reverse())
      candidates.push(join('/usr/lib/jvm', d, 'bin', 'java'));
  }
  return candidates.find((c) => existsSync(c) && javaMajor(c) >= major);
}

/** Runs a goal of stack/pom.xml, quietly and in batch mode. */
function maven(args: string[], what: string) {
  if (!which('mvn')) throw new StackError('Maven (mvn) not found: install it with `apt-get install maven`');
  run('mvn', ['-q', '-B', '-f', join(REPO_ROOT, 'stack', 'pom.xml'), ...args], what);
}

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

export async function startKafka(instance: KafkaInstance, log: Log): Promise<ServiceStatus> {
  const endpoint = `127.0.0.1:${instance.port}`;
  const pid = livePid(instance.name);
  if (await portOpen('127.0.0.1', instance.port)) {
    // ours, or a broker someone else runs there: use it either way
    return pid
      ? { name: instance.name, state: 'running', pid, endpoint }
      : { name: instance.name, state: 'external', endpoint };
  }
  installKafka(log);
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
  const started = startDetached(instance.name, java, [
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
  await waitFor(
    `kafka on ${endpoint}`,
    () => portOpen('127.0.0.1', instance.port),
    90_000,
    join(STACK_DIR, 'logs', `${instance.name}.log`),
  );
  log(`kafka: started ${KAFKA_VERSION} on ${endpoint} (pid ${started})`);
  return { name: instance.name, state: 'running', pid: started, endpoint };
}

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

export async function startRegistry(log: Log): Promise<ServiceStatus> {
  const url = new URL(LOCAL_ENDPOINTS.SCHEMA_REGISTRY_URL);
  const endpoint = LOCAL_ENDPOINTS.SCHEMA_REGISTRY_URL;
  const ready = httpOk(`${endpoint}/subjects`);
  const pid = livePid('registry');
  if (await ready().catch(() => false)) {
    return pid
      ? { name: 'registry', state: 'running', pid, endpoint }
      : { name: 'registry', state: 'external', endpoint };
  }
  installApicurio(log);
  const java = findJava(21);
  if (!java) {
    throw new StackError(
      `registry: Apicurio Registry ${APICURIO_VERSION} needs Java 21+; none found (JAVA_HOME, PATH, /usr/lib/jvm): install a JDK 21 and set JAVA_HOME`,
    );
  }
  const started = startDetached('registry', java, [
    '-Xms128m',
    '-Xmx512m',
    `-Dquarkus.http.host=127.0.0.1`,
    `-Dquarkus.http.port=${url.port}`,
    // the management interface is compiled in; keep it off the wildcard address and the usual 9000
    '-Dquarkus.management.host=127.0.0.1',
    `-Dquarkus.management.port=${Number(url.port) + 1}`,
    '-Dquarkus.log.level=WARN',
    `-Dapicurio.stack.dir=${STACK_DIR}`,
    '-jar',
    join(apicurioHome(), 'quarkus-run.jar'),
  ]);
  await waitFor(`registry on ${endpoint}`, ready, 120_000, join(STACK_DIR, 'logs', 'registry.log'));
  log(`registry: started Apicurio Registry ${APICURIO_VERSION} on ${endpoint} (pid ${started})`);
  return { name: 'registry', state: 'running', pid: started, endpoint };
}

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

/** Start a Redis of our own (with AOF) unless one already answers; the main one is usually the machine's. */
export async function startRedis(
  instance: RedisInstance,
  log: Log,
  reuseExisting = true,
): Promise<ServiceStatus> {
  const endpoint = `redis://127.0.0.1:${instance.port}`;
  const pid = livePid(instance.name);
  if (pid && (await redisPing(instance.port, instance.password))) {
    return { name: instance.name, state: 'running', pid, endpoint };
  }
  if (await redisPing(instance.port, instance.password)) {
    if (reuseExisting) return { name: instance.name, state: 'external', endpoint };
    throw new StackError(
      `${instance.name}: port ${instance.port} is taken by a Redis this stack did not start; stop it first`,
    );
  }
  const bin = which('redis-server');
  if (!bin)
    throw new StackError('redis: redis-server not found: install it with `apt-get install redis-server`');
  const dir = join(STACK_DIR, instance.name);
  mkdirSync(dir, { recursive: true });
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(instance.port),
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
  if (instance.password) args.push('--requirepass', instance.password);
  const started = startDetached(instance.name, bin, args);
  await waitFor(
    `redis on ${endpoint}`,
    () => redisPing(instance.port, instance.password),
    20_000,
    join(STACK_DIR, 'logs', `${instance.name}.log`),
  );
  log(`redis: started on ${endpoint} (pid ${started}, appendonly yes)`);
  return { name: instance.name, state: 'running', pid: started, endpoint };
}

function mainRedis(): RedisInstance {
  return { name: 'redis', port: hostPort(stackEnv().REDIS_URL).port };
}

// ---------------------------------------------------------------- Prometheus and Alertmanager

/** Where a process that serves /metrics registers itself for the local Prometheus (file_sd). */
export const PROMETHEUS_TARGETS_DIR = join(STACK_DIR, 'prometheus', 'targets');

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

export async function startPrometheus(log: Log): Promise<ServiceStatus> {
  const endpoint = LOCAL_ENDPOINTS.PROMETHEUS_URL;
  const ready = httpOk(`${endpoint}/-/ready`);
  const pid = livePid('prometheus');
  if (await ready().catch(() => false)) {
    if (!pid) return { name: 'prometheus', state: 'external', endpoint };
    // ours: pick up rule and config changes made since it started
    writeFileSync(join(STACK_DIR, 'prometheus', 'prometheus.yml'), localPrometheusConfig());
    const reloaded = await fetch(`${endpoint}/-/reload`, { method: 'POST' }).catch(() => undefined);
    if (!reloaded?.ok) log('prometheus: reload of the configuration failed; see .stack/logs/prometheus.log');
    return { name: 'prometheus', state: 'running', pid, endpoint };
  }
  const bin = which('prometheus');
  if (!bin) throw new StackError('prometheus: not found: install it with `apt-get install prometheus`');
  const home = join(STACK_DIR, 'prometheus');
  mkdirSync(PROMETHEUS_TARGETS_DIR, { recursive: true });
  const configFile = join(home, 'prometheus.yml');
  writeFileSync(configFile, localPrometheusConfig());
  const started = startDetached('prometheus', bin, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(home, 'data')}`,
    `--web.listen-address=${new URL(endpoint).host}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  await waitFor(`prometheus on ${endpoint}`, ready, 60_000, join(STACK_DIR, 'logs', 'prometheus.log'));
  log(`prometheus: started on ${endpoint} (pid ${started})`);
  return { name: 'prometheus', state: 'running', pid: started, endpoint };
}

/** Receivers' secrets for the local Alertmanager: files under .stack/secrets (see alertmanager/alertmanager.yml). */
export const ALERTMANAGER_SECRETS_DIR = join(STACK_DIR, 'secrets');

export function localAlertmanagerConfig(): string {
  const text = readFileSync(join(REPO_ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8');
  return text.replaceAll('/etc/alertmanager/secrets', ALERTMANAGER_SECRETS_DIR);
}

export async function startAlertmanager(log: Log): Promise<ServiceStatus> {
  const endpoint = LOCAL_ENDPOINTS.ALERTMANAGER_URL;
  const ready = httpOk(`${endpoint}/-/ready`);
  const pid = livePid('alertmanager');
  if (await ready().catch(() => false)) {
    return pid
      ? { name: 'alertmanager', state: 'running', pid, endpoint }
      : { name: 'alertmanager', state: 'external', endpoint };
  }
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
  const started = startDetached('alertmanager', bin, [
    `--config.file=${configFile}`,
    `--storage.path=${join(home, 'data')}`,
    `--web.listen-address=${new URL(endpoint).host}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  await waitFor(`alertmanager on ${endpoint}`, ready, 30_000, join(STACK_DIR, 'logs', 'alertmanager.log'));
  log(`alertmanager: started on ${endpoint} (pid ${started})`);
  return { name: 'alertmanager', state: 'running', pid: started, endpoint };
}

const DEFAULT_LOCAL_SECRETS: Record<string, string> = {
  'slack-webhook-url': 'http://127.0.0.1:19099/slack',
  'pagerduty-routing-key': 'local-routing-key',
};

// ---------------------------------------------------------------- the whole stack

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
  // Installs run one after another (Maven's local repository is not safe for
  // concurrent writers); the processes then start in parallel.
  installKafka(log);
  installApicurio(log);
  return Promise.all([
    startKafka(MAIN_KAFKA, log),
    startRegistry(log),
    startRedis(mainRedis(), log),
    startPrometheus(log),
    startAlertmanager(log),
  ]);
}

export async function down(log: Log = console.error): Promise<void> {
  for (const name of ['alertmanager', 'prometheus', 'registry', 'kafka', 'redis']) await stopPid(name, log);
}

/** Stop one named instance we started (chaos tests start their own Kafka and Redis). */
export async function stop(name: string, log: Log = () => {}): Promise<void> {
  await stopPid(name, log);
}

export async function status(): Promise<ServiceStatus[]> {
  const env = stackEnv();
  const redis = mainRedis();
  const redisPid = livePid(redis.name);
  const redisUp = await redisPing(redis.port);
  const checks: [string, string, () => Promise<boolean>][] = [
    ['kafka', env.KAFKA_BROKERS, () => portOpen('127.0.0.1', MAIN_KAFKA.port)],
    ['registry', env.SCHEMA_REGISTRY_URL, httpOk(`${env.SCHEMA_REGISTRY_URL}/subjects`)],
    ['prometheus', env.PROMETHEUS_URL, httpOk(`${env.PROMETHEUS_URL}/-/ready`)],
    ['alertmanager', env.ALERTMANAGER_URL, httpOk(`${env.ALERTMANAGER_URL}/-/ready`)],
  ];
  const out: ServiceStatus[] = [];
  for (const [name, endpoint, check] of checks) {
    const pid = livePid(name);
    const ok = await check().catch(() => false);
    out.push({
      name,
      endpoint,
      state: pid && ok ? 'running' : ok ? 'external' : 'stopped',
      ...(pid ? { pid } : {}),
    });
  }
  out.push({
    name: 'redis',
    endpoint: env.REDIS_URL,
    state: redisPid && redisUp ? 'running' : redisUp ? 'external' : 'stopped',
    ...(redisPid ? { pid: redisPid } : {}),
  });
  return out;
}
