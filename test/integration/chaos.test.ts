/**
 * Faults under a running consumer, each on an instance of its own (so the
 * shared stack is never touched): Redis restarted mid-stream (AOF), Redis
 * unreachable for 10 s, the Kafka broker restarted mid-stream. After each:
 * exact counts, no false duplicate, no crash, and the consumer recovered by
 * itself.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { replay } from '../../src/replay/replay.ts';
import { deleteTopics, ensureTopics } from '../../src/source/topics.ts';
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
  replayExport,
  stateFigures,
  totalEvents,
} from '../helpers/export.ts';
import { eventually, type MonitorProcess, startMonitor } from '../helpers/monitor-process.ts';
import { PUFFY_DIR } from '../helpers/reference.ts';
import { type TestSpace, testSpace } from '../helpers/stack.ts';

const CHAOS_REDIS: RedisInstance = { name: 'redis-chaos', port: 16399 };
const CHAOS_KAFKA: KafkaInstance = { name: 'kafka-chaos', port: 29092, controllerPort: 29192 };
const quiet = () => {};
/** A fault, the recovery and the wait for exact counts: longer than the suite's default. */
const FAULT_TEST_TIMEOUT_MS = 240_000;

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
 * The export replayed at 5,000 events/s into a consumer writing to the chaos
 * Redis; resolves once more than 5,000 events are applied, ready for a fault.
 */
async function consumingIntoChaosRedis(name: string) {
  await startRedis(CHAOS_REDIS, quiet, false);
  const s = await testSpace(`${import.meta.filename}-${name}`, { partitions: 6 });
  spaces.push(s);
  const producing = replayExport(s, 'json', 5000);
  const consumer = startMonitor(['consume'], {
    ...s.env,
    REDIS_URL: CHAOS_REDIS_URL,
    KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
  });
  processes.push(consumer);
  await eventually(
    () => total(s.namespace),
    (n) => n > 5_000,
    60_000,
  );
  return { s, producing, consumer };
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

describe('chaos', () => {
  it(
    'Redis restarted mid-stream (AOF): exact counts, and the consumer carries on',
    async () => {
      const { s, producing, consumer } = await consumingIntoChaosRedis('redis-restart');
      const beforeRestart = await total(s.namespace);
      await stop(CHAOS_REDIS.name); // SIGTERM: Redis writes its AOF and exits
      await new Promise((r) => setTimeout(r, 3_000));
      await startRedis(CHAOS_REDIS, quiet, false);
      await producing;
      await expectExactAndAlive(s, consumer);
      expect(beforeRestart).toBeLessThan(EXPECTED_TOTAL); // the restart landed mid-stream
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  it(
    'Redis unreachable for 10 s: the consumer pauses, retries and loses nothing',
    async () => {
      const { s, producing, consumer } = await consumingIntoChaosRedis('redis-pause');
      const pid = livePidOf(CHAOS_REDIS.name)!;
      process.kill(pid, 'SIGSTOP'); // connections stay open, nothing answers
      await new Promise((r) => setTimeout(r, 10_000));
      process.kill(pid, 'SIGCONT');
      await producing;
      await expectExactAndAlive(s, consumer);
    },
    FAULT_TEST_TIMEOUT_MS,
  );

  it(
    'Kafka broker restarted mid-stream: the consumer reconnects and counts stay exact',
    async () => {
      // On failure, say which step hung and what the consumer logged: a timeout alone tells nothing.
      let step = 'starting the chaos broker';
      let consumer: MonitorProcess | undefined;
      onTestFailed(() => {
        console.error(
          `broker restart test failed while ${step}\nconsumer output (tail):\n${consumer?.output().slice(-6_000) ?? '(not started)'}`,
        );
      });
      await startKafka(CHAOS_KAFKA, quiet);
      const brokers = `127.0.0.1:${CHAOS_KAFKA.port}`;
      const kafka = new Kafka({ clientId: 'chaos', brokers: [brokers], logLevel: logLevel.NOTHING });
      const s = await testSpace(`${import.meta.filename}-broker`, { partitions: 6, createTopic: false });
      spaces.push(s);
      step = 'creating the topic and replaying the export';
      await ensureTopics(kafka, s.topic, 6);
      await replay({
        kafka,
        topic: s.topic,
        paths: [PUFFY_DIR],
        format: 'json',
        clientIdFields: ['client_id', 'clientId'],
      });
      step = 'waiting for the consumer to apply 2,000 events';
      consumer = startMonitor(['consume'], {
        ...s.env,
        KAFKA_BROKERS: brokers,
        KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
        KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1',
      });
      processes.push(consumer);
      await eventually(
        () => totalEvents(s.namespace),
        (n) => n > 2_000,
        60_000,
      );
      step = 'restarting the broker';
      await stop(CHAOS_KAFKA.name);
      await new Promise((r) => setTimeout(r, 3_000));
      await startKafka(CHAOS_KAFKA, quiet);
      step = 'waiting for exact counts after the restart';
      await expectExactAndAlive(s, consumer, s.env.REDIS_URL);
      await deleteTopics(kafka, [s.topic, `${s.topic}.dlq`]).catch(() => undefined);
    },
    FAULT_TEST_TIMEOUT_MS,
  );
});
