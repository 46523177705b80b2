/**
 * A Redis Cluster master lost mid-stream, on a local cluster of this file's
 * own (3 masters, 3 replicas, append-only; the stack's cluster serves other
 * files meanwhile): the cluster promotes the replica by itself, the
 * consumer retries against the new master, and every day's figures equal the
 * export's. The consumer commits no offset before a replica holds the writes
 * (WAIT, REDIS_MIN_REPLICAS=1 by default on a cluster); with
 * REDIS_MIN_REPLICAS=0 the same failover, with the replica behind, loses
 * events Kafka already counts as processed: the guarantee is WAIT's.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MonitorState } from '../../src/state/monitor-state.ts';
import {
  type RedisClusterInstance,
  redisClusterNodesOf,
  startRedisCluster,
  stopRedisCluster,
} from '../../stack/services.ts';
import {
  EXPECTED,
  EXPECTED_TOTAL,
  expectedFigures,
  phasedReplay,
  stateFigures,
  totalEvents,
} from '../helpers/export.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  runCli,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { LocalCluster } from '../helpers/redis-cluster.ts';
import { clusterRedis, type TestSpace, testSpace } from '../helpers/stack.ts';

const FAILOVER_CLUSTER: RedisClusterInstance = {
  name: 'redis-cluster-failover',
  ports: [17101, 17102, 17103, 17104, 17105, 17106],
};
const NODES = redisClusterNodesOf(FAILOVER_CLUSTER);
const cluster = new LocalCluster(FAILOVER_CLUSTER);
const connect = () => clusterRedis(NODES);

/** A failover, the recovery and a full drain. */
const FAILOVER_TEST_TIMEOUT_MS = 300_000;
const DAYS = [...EXPECTED.keys()];
/** Rows of the export up to and including day i (the export is in day order). */
const through = (i: number) => DAYS.slice(0, i + 1).reduce((n, d) => n + EXPECTED.get(d)!.rows, 0);
/** The day the fault targets: the first one produced after the fault is set up. */
const DAY = DAYS[3]!;

const spaces: TestSpace[] = [];
const processes: MonitorProcess[] = [];
let paused: number | undefined;
beforeAll(async () => {
  await startRedisCluster(() => {}, FAILOVER_CLUSTER);
  await cluster.fullyReplicated(); // a run stopped mid-test may have left a node rejoining
}, 120_000);
afterEach(async () => {
  if (paused !== undefined) cluster.signal(paused, 'SIGCONT');
  paused = undefined;
  for (const p of processes.splice(0)) if (p.child.exitCode === null) p.kill('SIGKILL');
  await cluster.repair(); // a node lost for good comes back for the next test
  await cluster.fullyReplicated(); // the next test starts from a whole cluster
}, 120_000);
afterAll(async () => {
  for (const s of spaces) await s.cleanup();
  await stopRedisCluster(() => {}, FAILOVER_CLUSTER);
});

async function space(name: string) {
  const s = await testSpace(`${import.meta.filename}-${name}`, { partitions: 6, redisCluster: NODES });
  spaces.push(s);
  return s;
}
function consumer(s: TestSpace, extra: Record<string, string> = {}, args: string[] = []) {
  const p = startMonitor(['consume', ...args], {
    ...s.env,
    KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
    REDIS_REPLICA_TIMEOUT_MS: '500',
    ...extra,
  });
  processes.push(p);
  return p;
}
/** Events of a day as its master holds them right now. */
async function dayEvents(s: TestSpace, day: string) {
  const r = connect();
  try {
    return (await new MonitorState(r, s.namespace).days.read(day)).counters.events;
  } finally {
    r.disconnect();
  }
}
const explain = (p: MonitorProcess) => (err: Error) => {
  throw new Error(`${err.message}\nconsumer output (tail):\n${p.output().slice(-6_000)}`);
};
/** Until the state holds `n` events in all: what was produced so far, applied. */
const untilTotal = (s: TestSpace, n: number, p: MonitorProcess, timeoutMs: number) =>
  eventually(
    () => totalEvents(s.namespace, connect),
    (total) => total === n,
    timeoutMs,
  ).catch(explain(p));
/** Until DAY's first events are applied (with WAIT, before the replicas are waited for). */
const untilDayStarted = (s: TestSpace, p: MonitorProcess) =>
  eventually(
    () => dayEvents(s, DAY),
    (n) => n > 0,
    120_000,
  ).catch(explain(p));

describe('a Redis Cluster master lost mid-stream', () => {
  it(
    'SIGKILL of the master that owns the day being written: the replica takes over, nothing lost or doubled',
    async () => {
      const s = await space('kill-master');
      const feed = phasedReplay(s, [through(2), through(5)]);
      const produced = await feed.reached(0);
      const c = consumer(s);
      await untilTotal(s, produced, c, 120_000);
      feed.release(0);
      await untilDayStarted(s, c);
      const master = await cluster.masterOfDay(s.namespace, DAY);
      cluster.signal(master, 'SIGKILL');
      await cluster.failedOver(master);
      await cluster.rejoin(master);
      feed.release(1);
      await feed.done;
      await untilTotal(s, EXPECTED_TOTAL, c, 150_000);
      expect(await stateFigures(s.namespace, connect)).toEqual(expectedFigures());
      expect(c.child.exitCode).toBeNull(); // it recovered by itself
      c.kill('SIGTERM');
      expect(await c.exited).toBe(0);
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );

  /**
   * The replica of the day's master is paused and cut off before the day's
   * events arrive, so the master takes writes its replica never sees; the consumer stops
   * (committing what it counts as done), the master is killed, the stale
   * replica resumes and is promoted, and a fresh consumer drains the topic.
   */
  async function failoverWithReplicaBehind(name: string, minReplicas: string) {
    const s = await space(name);
    const feed = phasedReplay(s, [through(2), through(5)]);
    const produced = await feed.reached(0);
    const first = consumer(s, { REDIS_MIN_REPLICAS: minReplicas, KAFKA_COMMIT_INTERVAL_MS: '100' });
    await untilTotal(s, produced, first, 120_000);
    const master = await cluster.masterOfDay(s.namespace, DAY);
    paused = await cluster.replicaOf(master);
    cluster.signal(paused, 'SIGSTOP');
    cluster.cutReplication(master);
    feed.release(0);
    // the master holds writes of the day that its replica has not seen
    const atFault = await eventually(
      () => dayEvents(s, DAY),
      (n) => (minReplicas === '0' ? n === EXPECTED.get(DAY)!.rows : n > 0),
      120_000,
    ).catch(explain(first));
    first.kill('SIGTERM'); // commits every batch it counts as done
    expect(await first.exited).toBe(0);
    cluster.signal(master, 'SIGKILL');
    cluster.signal(paused, 'SIGCONT');
    paused = undefined;
    await cluster.failedOver(master);
    await cluster.rejoin(master);
    feed.release(1);
    await feed.done;
    const drain = consumer(s, { REDIS_MIN_REPLICAS: minReplicas }, ['--exit-when-idle', '3']);
    expect(await drain.exited).toBe(0);
    return { s, atFault };
  }

  it(
    'with a replica behind, WAIT keeps the offsets of unreplicated writes uncommitted: nothing lost',
    async () => {
      const { s, atFault } = await failoverWithReplicaBehind('behind-wait', '1');
      expect(atFault).toBeGreaterThan(0);
      expect(await stateFigures(s.namespace, connect)).toEqual(expectedFigures());
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );

  it(
    'with REDIS_MIN_REPLICAS=0 the same failover loses the events Kafka counts as processed',
    async () => {
      const { s, atFault } = await failoverWithReplicaBehind('behind-nowait', '0');
      expect(atFault).toBe(EXPECTED.get(DAY)!.rows);
      const figures = await stateFigures(s.namespace, connect);
      // the promoted replica never saw the day's events, and their offsets were committed
      // (later days the same master served before the fault are lost as well)
      expect(figures.get(DAY)!.events).toBe(0);
      const total = [...figures.values()].reduce((n, f) => n + f.events, 0);
      expect(total).toBeLessThanOrEqual(EXPECTED_TOTAL - atFault);
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );
});

/**
 * A master SIGKILLed mid-stream and never restarted (a machine lost for
 * good): its replica is promoted and has no replica of its own, so WAIT 1 can
 * never succeed on that shard again. The export is streamed at 2,000 events/s.
 */
describe('a Redis Cluster master lost for good', () => {
  /** Short, so the test need not wait out the default 30 s; the policy is the same. */
  const GRACE_MS = '5000';
  const metricsOf = async (p: MonitorProcess) => scrape(await metricsPortOf(p));

  /**
   * The first days streamed and applied; then the master that owns DAY's slot
   * is killed for good, before DAY's events are produced, so they all arrive
   * after the loss; the consumer is killed once while they stream in.
   */
  async function loseTheDaysMaster(s: TestSpace, policy: 'available' | 'strict') {
    const feed = phasedReplay(s, [through(2), through(5)], { rate: 2000 });
    const produced = await feed.reached(0);
    const env = { REDIS_REPLICA_POLICY: policy, REDIS_REPLICA_GRACE_MS: GRACE_MS };
    const first = consumer(s, env);
    await untilTotal(s, produced, first, 120_000);
    const master = await cluster.masterOfDay(s.namespace, DAY);
    cluster.signal(master, 'SIGKILL');
    await cluster.failedOver(master);
    feed.release(0);
    // DAY's first events are applied (before WAIT, under either policy): the consumer dies mid-stream
    await untilDayStarted(s, first);
    first.kill('SIGKILL');
    await first.exited;
    feed.release(1);
    return { feed, second: consumer(s, env) };
  }

  it(
    "by default the stream keeps flowing: every count exact, the redundancy lost is exported and the day's report says so",
    async () => {
      const s = await space('lost-available');
      const { feed, second } = await loseTheDaysMaster(s, 'available');
      await feed.done;
      await untilTotal(s, EXPECTED_TOTAL, second, 180_000);
      expect(await stateFigures(s.namespace, connect)).toEqual(expectedFigures());

      // what RedisRedundancyLost compares (its rule is promtool-tested): a shard below the requirement
      const metrics = await metricsOf(second);
      expect(metricValue(metrics, 'em_redis_replicas_required')).toBe(1);
      const shards = metrics.split('\n').filter((l) => l.startsWith('em_redis_shard_replicas{'));
      expect(shards).toHaveLength(3);
      expect(shards.filter((l) => l.endsWith(' 0'))).toHaveLength(1);
      expect(metricValue(metrics, 'em_redis_writes_without_replicas_total')).toBeGreaterThan(0);
      expect(metricValue(metrics, 'em_batches_blocked')).toBe(0);

      // the days written meanwhile say so in their close-out
      const r = connect();
      const degraded: string[] = [];
      try {
        const store = new MonitorState(r, s.namespace);
        for (const day of DAYS)
          if ((await store.days.read(day)).counters.batchesWithoutReplica > 0) degraded.push(day);
      } finally {
        r.disconnect();
      }
      expect(degraded).toContain(DAY);
      const json = join(mkdtempSync(join(tmpdir(), 'em-lost-')), 'report.json');
      const run = await runCli(['closeout', '--date', DAY, '--json', json, '--fail-on', 'never'], s.env);
      expect(run.code, run.output).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        alerts: { check: string; message: string }[];
      };
      expect(report.alerts.find((a) => a.check === 'state_redundancy_lost')?.message).toMatch(
        /batches of this day were written while their Redis shard had fewer replicas/,
      );
      second.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );

  it(
    "with REDIS_REPLICA_POLICY=strict the shard's days stop applying, blocked for `replicas`, until a replica is back",
    async () => {
      const s = await space('lost-strict');
      const { feed, second } = await loseTheDaysMaster(s, 'strict');
      await feed.done;
      const blocked = await eventually(
        async () => metricValue(await metricsOf(second), 'em_batches_blocked', { reason: 'replicas' }),
        (n) => n > 0,
        120_000,
      ).catch(explain(second));
      expect(blocked).toBeGreaterThan(0);
      expect(await totalEvents(s.namespace, connect)).toBeLessThan(EXPECTED_TOTAL);
      // the lost node comes back as a replica: the stream resumes, and every count is exact
      await cluster.repair();
      await untilTotal(s, EXPECTED_TOTAL, second, 180_000);
      expect(await stateFigures(s.namespace, connect)).toEqual(expectedFigures());
    },
    FAILOVER_TEST_TIMEOUT_MS,
  );
});
