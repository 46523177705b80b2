/**
 * Faults under a running consumer, each on an instance of its own (so the
 * shared stack is never touched): Redis restarted mid-stream (AOF), Redis
 * unreachable for 10 s, the Kafka broker restarted mid-stream. After each:
 * exact counts, no false duplicate, no crash, and the consumer recovered by
 * itself.
 */
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DayState } from '../../src/aggregation/day-state.ts';
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
  type DayFigures,
  EXPECTED,
  EXPECTED_TOTAL,
  expectedFigures,
  replayExport,
} from '../helpers/export.ts';
import { eventually, type MonitorProcess, startMonitor } from '../helpers/monitor-process.ts';
import { type TestSpace, testSpace } from '../helpers/stack.ts';

const CHAOS_REDIS: RedisInstance = { name: 'redis-chaos', port: 16399 };
const CHAOS_KAFKA: KafkaInstance = { name: 'kafka-chaos', port: 29092, controllerPort: 29192 };
const quiet = () => {};

const spaces: TestSpace[] = [];
const processes: MonitorProcess[] = [];
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.kill('SIGKILL');
  for (const s of spaces) await s.cleanup();
  await stop(CHAOS_REDIS.name);
  await stop(CHAOS_KAFKA.name);
});

/** Per-day figures as stored in a given Redis. */
async function figures(redisUrl: string, namespace: string) {
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await r.connect();
    const state = new DayState(r, namespace);
    const out = new Map<string, DayFigures>();
    for (const day of EXPECTED.keys()) {
      const s = await state.read(day);
      out.set(day, {
        events: s.counters.events ?? 0,
        revenueCents: s.counters.revenue_cents ?? 0,
        purchases: s.counters.purchases ?? 0,
        duplicateTransactions: s.counters.duplicate_transactions ?? 0,
        nullClients: s.counters.null_client ?? 0,
        clients: s.clients,
      });
    }
    return out;
  } finally {
    r.disconnect();
  }
}
const total = async (redisUrl: string, namespace: string) =>
  [...(await figures(redisUrl, namespace)).values()].reduce((n, f) => n + f.events, 0);

describe('chaos', () => {
  it('Redis restarted mid-stream (AOF): exact counts, and the consumer carries on', async () => {
    await startRedis(CHAOS_REDIS, quiet, false);
    const redisUrl = `redis://127.0.0.1:${CHAOS_REDIS.port}`;
    const s = await testSpace(`${import.meta.filename}-redis-restart`, { partitions: 6 });
    spaces.push(s);
    const producing = replayExport(s, 'json', 5000);
    const consumer = startMonitor(['consume'], {
      ...s.env,
      REDIS_URL: redisUrl,
      KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
    });
    processes.push(consumer);
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n > 5_000,
      60_000,
    );
    const beforeRestart = await total(redisUrl, s.namespace);
    await stop(CHAOS_REDIS.name); // SIGTERM: Redis writes its AOF and exits
    await new Promise((r) => setTimeout(r, 3_000));
    await startRedis(CHAOS_REDIS, quiet, false);
    await producing;
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n === EXPECTED_TOTAL,
      120_000,
    );
    expect(await figures(redisUrl, s.namespace)).toEqual(expectedFigures());
    expect(consumer.child.exitCode).toBeNull(); // never crashed
    consumer.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    expect(beforeRestart).toBeLessThan(EXPECTED_TOTAL); // the restart landed mid-stream
  });

  it('Redis unreachable for 10 s: the consumer pauses, retries and loses nothing', async () => {
    await startRedis(CHAOS_REDIS, quiet, false);
    const redisUrl = `redis://127.0.0.1:${CHAOS_REDIS.port}`;
    const s = await testSpace(`${import.meta.filename}-redis-pause`, { partitions: 6 });
    spaces.push(s);
    const producing = replayExport(s, 'json', 5000);
    const consumer = startMonitor(['consume'], {
      ...s.env,
      REDIS_URL: redisUrl,
      KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
    });
    processes.push(consumer);
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n > 5_000,
      60_000,
    );
    const pid = livePidOf(CHAOS_REDIS.name)!;
    process.kill(pid, 'SIGSTOP'); // connections stay open, nothing answers
    await new Promise((r) => setTimeout(r, 10_000));
    process.kill(pid, 'SIGCONT');
    await producing;
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n === EXPECTED_TOTAL,
      120_000,
    );
    expect(await figures(redisUrl, s.namespace)).toEqual(expectedFigures());
    expect(consumer.child.exitCode).toBeNull();
    consumer.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
  });

  it('Kafka broker restarted mid-stream: the consumer reconnects and counts stay exact', async () => {
    await startKafka(CHAOS_KAFKA, quiet);
    const brokers = `127.0.0.1:${CHAOS_KAFKA.port}`;
    const kafka = new Kafka({ clientId: 'chaos', brokers: [brokers], logLevel: logLevel.NOTHING });
    const s = await testSpace(`${import.meta.filename}-broker`, { partitions: 6, createTopic: false });
    spaces.push(s);
    await ensureTopics(kafka, s.topic, 6);
    const { replay } = await import('../../src/replay/replay.ts');
    const { PUFFY_DIR } = await import('../helpers/reference.ts');
    await replay({
      kafka,
      topic: s.topic,
      paths: [PUFFY_DIR],
      format: 'json',
      clientIdFields: ['client_id', 'clientId'],
    });
    const redisUrl = s.env.REDIS_URL!;
    const consumer = startMonitor(['consume'], {
      ...s.env,
      KAFKA_BROKERS: brokers,
      KAFKA_MAX_BYTES_PER_PARTITION: '1048576',
      KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: '1',
    });
    processes.push(consumer);
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n > 2_000,
      60_000,
    );
    await stop(CHAOS_KAFKA.name);
    await new Promise((r) => setTimeout(r, 3_000));
    await startKafka(CHAOS_KAFKA, quiet);
    await eventually(
      () => total(redisUrl, s.namespace),
      (n) => n === EXPECTED_TOTAL,
      180_000,
    );
    expect(await figures(redisUrl, s.namespace)).toEqual(expectedFigures());
    expect(consumer.child.exitCode).toBeNull();
    consumer.kill('SIGTERM');
    await consumer.exited;
    await deleteTopics(kafka, [s.topic, `${s.topic}.dlq`]).catch(() => undefined);
  });
});
