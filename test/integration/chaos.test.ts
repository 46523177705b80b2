/**
 * Faults under a running consumer, each on an instance of its own (so the
 * shared stack is never touched): Redis restarted mid-stream (AOF), Redis
 * unreachable for 10 s, the Kafka broker restarted mid-stream. After each:
 * exact counts, no false duplicate, no crash, and the consumer recovered by
 * itself.
 */
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { consumerGroupOf } from '../../src/source/kafka.ts';
import {
  type KafkaInstance,
  livePidOf,
  type RedisInstance,
  startKafka,
  startRedis,
  stop,
} from '../../stack/services.ts';
import {
  EXPECTED_TOTAL,
  expectedFigures,
  phasedReplay,
  stateFigures,
  totalEvents,
} from '../helpers/export.ts';
import { eventually, type MonitorProcess, startMonitor } from '../helpers/monitor-process.ts';
import { kafka, type TestSpace, testSpace } from '../helpers/stack.ts';

const CHAOS_REDIS: RedisInstance = { name: 'redis-chaos', port: 16399 };
/**
 * The fault tests' own broker. Its groups hold one member at most, so a second
 * consumer's join is refused for good (GROUP_MAX_SIZE_REACHED, which kafkajs does
 * not retry): the way to make a consumer's fetch loop die without rejoining.
 */
const CHAOS_KAFKA: KafkaInstance = {
  name: 'kafka-chaos',
  port: 29092,
  controllerPort: 29192,
  properties: { 'group.max.size': '1' },
};
const CHAOS_BROKERS = `127.0.0.1:${CHAOS_KAFKA.port}`;
const quiet = () => {};
/** A fault, the recovery and the wait for exact counts: longer than the suite's default. */
const FAULT_TEST_TIMEOUT_MS = 240_000;
/** The producer holds here while the fault happens, so the fault always lands mid-stream. */
const HOLD_AT = 10_000;

const spaces: TestSpace[] = [];
const processes: MonitorProcess[] = [];
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.kill('SIGKILL');
  for (const s of spaces) await s.cleanup();
  await stop(CHAOS_REDIS.name);
  await stop(CHAOS_KAFKA.name);
});

const CHAOS_REDIS_URL = `redis://127.0.0.1:${CHAOS_REDIS.port}`;
const total = (namespace: string, redisUrl = CHAOS_REDIS_URL) => totalEvents(namespace, redisUrl);

/**
 * The export's first 10,000 events in the topic and a consumer writing them to
 * the chaos Redis; resolves once more than 5,000 are applied, ready for a fault.
 * The rest of the export is produced after `feed.release(0)`.
 */
async function consumingIntoChaosRedis(name: string) {
  await startRedis(CHAOS_REDIS, quiet, false);
  const s = await testSpace(`${import.meta.filename}-${name}`, { partitions: 6 });
  spaces.push(s);
  const feed = phasedReplay(s, [HOLD_AT]);
  const produced = await feed.reached(0);
  const consumer = startMonitor(['consume'], {
    ...s.env,
    REDIS_URL: CHAOS_REDIS_URL,
    KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
  });
  processes.push(consumer);
  await eventually(
    () => total(s.namespace),
    (n) => n > produced / 2,
    60_000,
  );
  return { s, feed, consumer };
}

/** After the fault: every count exact, and the consumer never crashed and stops cleanly. */
async function expectExactAndAlive(s: TestSpace, consumer: MonitorProcess, redisUrl = CHAOS_REDIS_URL) {
  await eventually(
    () => total(s.namespace, redisUrl),
    (n) => n === EXPECTED_TOTAL,
    150_000,
  ).catch((err: Error) => {
    // What the consumer was doing is the diagnosis: keep its last log lines with the failure.
    throw new Error(`${err.message}\nconsumer output (tail):\n${consumer.output().slice(-6_000)}`);
  });
  expect(await stateFigures(s.namespace, redisUrl)).toEqual(expectedFigures());
  expect(consumer.child.exitCode).toBeNull(); // never crashed
  consumer.kill('SIGTERM');
  expect(await consumer.exited).toBe(0);
}

/** A namespace whose topic lives on the chaos broker, and a consumer of it. */
async function onChaosBroker(name: string) {
  await startKafka(CHAOS_KAFKA, quiet);
  const s = await testSpace(`${import.meta.filename}-${name}`, { partitions: 6, createTopic: false });
  spaces.push(s);
  const env = {
    ...s.env,
    KAFKA_BROKERS: CHAOS_BROKERS,
    KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
    KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1',
  };
  const consumer = (extra: Record<string, string> = {}) => {
    const p = startMonitor(['consume'], { ...env, ...extra });
    processes.push(p);
    return p;
  };
  return { s, consumer };
}

/** Every partition leader of the space's topic answers ListOffsets, and its group's coordinator answers. */
async function brokerServing(s: TestSpace): Promise<boolean> {
  const admin = kafka(CHAOS_BROKERS).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(s.topic);
    const { groups } = await admin.describeGroups([consumerGroupOf(s.namespace)]);
    return offsets.length === 6 && groups.length === 1; // both throw while the broker recovers
  } finally {
    await admin.disconnect();
  }
}

describe('chaos', () => {
  it(
    'Redis restarted mid-stream (AOF): exact counts, and the consumer carries on',
    async () => {
      const { s, feed, consumer } = await consumingIntoChaosRedis('redis-restart');
      const beforeRestart = await total(s.namespace);
      await stop(CHAOS_REDIS.name); // SIGTERM: Redis writes its AOF and exits
      feed.release(0); // the rest of the export arrives while Redis is away
      await new Promise((r) => setTimeout(r, 3_000)); // the outage itself
      await startRedis(CHAOS_REDIS, quiet, false);
      await feed.done;
      await expectExactAndAlive(s, consumer);
      expect(beforeRestart).toBeLessThan(EXPECTED_TOTAL); // the restart landed mid-stream
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  it(
    'Redis unreachable for 10 s: the consumer pauses, retries and loses nothing',
    async () => {
      const { s, feed, consumer } = await consumingIntoChaosRedis('redis-pause');
      const pid = livePidOf(CHAOS_REDIS.name)!;
      process.kill(pid, 'SIGSTOP'); // connections stay open, nothing answers
      feed.release(0);
      await new Promise((r) => setTimeout(r, 10_000)); // the outage itself
      process.kill(pid, 'SIGCONT');
      await feed.done;
      await expectExactAndAlive(s, consumer);
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(
      `Kafka broker stopped with ${signal} mid-stream and restarted: the consumer reconnects and counts stay exact`,
      async () => {
        // On failure, say which step hung and what the consumer logged: a timeout alone tells nothing.
        let step = 'starting the chaos broker';
        let consumer: MonitorProcess | undefined;
        onTestFailed(() => {
          console.error(
            `broker ${signal} test failed while ${step}\nconsumer output (tail):\n${consumer?.output().slice(-6_000) ?? '(not started)'}`,
          );
        });
        const chaos = await onChaosBroker(`broker-${signal.toLowerCase()}`);
        step = 'producing the first phase';
        const feed = phasedReplay(chaos.s, [HOLD_AT], { brokers: CHAOS_BROKERS });
        const produced = await feed.reached(0);
        step = 'waiting for the consumer to apply 2,000 events';
        consumer = chaos.consumer();
        await eventually(
          () => totalEvents(chaos.s.namespace),
          (n) => n > 2_000,
          60_000,
        );
        step = `stopping the broker with ${signal}`;
        if (signal === 'SIGKILL') process.kill(livePidOf(CHAOS_KAFKA.name)!, 'SIGKILL');
        await stop(CHAOS_KAFKA.name);
        await new Promise((r) => setTimeout(r, 3_000)); // the outage itself
        step = 'restarting the broker';
        await startKafka(CHAOS_KAFKA, quiet);
        // A producer that writes while the restarted broker still recovers its logs is refused
        // (idempotent) or duplicates rows (plain): produce once every partition leader and the
        // group coordinator answer again.
        step = 'waiting for the restarted broker to serve the topic and the group';
        await eventually(
          () => brokerServing(chaos.s),
          (ok) => ok,
          120_000,
        );
        step = 'producing the rest of the export';
        feed.release(0);
        await feed.done;
        step = 'waiting for exact counts after the restart';
        expect(produced).toBeLessThan(EXPECTED_TOTAL);
        await expectExactAndAlive(chaos.s, consumer, chaos.s.env.REDIS_URL);
      },
      FAULT_TEST_TIMEOUT_MS,
    );
  }

  it(
    'a consumer whose join is refused for good keeps trying, and takes over when the member holding the group dies',
    async () => {
      const { s, consumer } = await onChaosBroker('refused-join');
      const feed = phasedReplay(s, [HOLD_AT], { brokers: CHAOS_BROKERS });
      const produced = await feed.reached(0);
      const holder = consumer();
      await eventually(
        () => totalEvents(s.namespace),
        (n) => n > 2_000,
        60_000,
      );
      // The group is full: the standby's join is refused with a non-retriable error and
      // kafkajs gives up on it (CRASH, restart: false). Without our own restart, the
      // standby would sit there alive and idle for ever.
      const standby = consumer();
      await eventually(
        async () => standby.output(),
        (out) => out.includes('"restart":false'),
        60_000,
      );
      expect(standby.output()).not.toContain('joined consumer group');
      holder.kill('SIGKILL'); // its membership lapses after the session timeout (10 s)
      await holder.exited;
      feed.release(0);
      await feed.done;
      await expectExactAndAlive(s, standby, s.env.REDIS_URL);
      expect(standby.output()).toContain('joined consumer group');
      expect(produced).toBeLessThan(EXPECTED_TOTAL);
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
