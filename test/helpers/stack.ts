/**
 * Per-file isolation on the shared stack: each test file takes its own
 * namespace (Redis keys, consumer group) and topic, and removes them after.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { type CompressionTypes, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import { type Context, createContext } from '../../src/cli/context.ts';
import { consumerGroupOf, deadLetterTopicOf } from '../../src/source/kafka.ts';
import { deleteTopics, ensureTopics } from '../../src/source/topics.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import type { RedisClient } from '../../src/state/redis.ts';
import { PROMETHEUS_TARGETS_DIR, REDIS_CLUSTER_NODES, stackEnv } from '../../stack/services.ts';

export const env = stackEnv();

/** A client of the stack's broker, or of another one (the fault tests run their own). */
export function kafka(brokers = env.KAFKA_BROKERS): Kafka {
  return new Kafka({
    clientId: 'event-monitor-test',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  });
}

/** A client of the stack's Redis, or of another one (the chaos tests run their own). */
export function redis(url = env.REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2 });
}

/** A client of the stack's Redis Cluster (global setup starts it), or of another; patient through a failover. */
export function clusterRedis(nodes = REDIS_CLUSTER_NODES): Cluster {
  return new Cluster(
    nodes.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
    { redisOptions: { maxRetriesPerRequest: 2 }, retryDelayOnFailover: 300, retryDelayOnClusterDown: 300 },
  );
}

export interface TestSpace {
  namespace: string;
  topic: string;
  dlq: string;
  ctx: Context;
  /** Environment for a monitor child process in this space. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** A fresh namespace and topic for one test file (or one test). */
export async function testSpace(
  file: string,
  options: {
    partitions?: number;
    createTopic?: boolean;
    /** The state on the stack's Redis Cluster (true) or on the cluster of these nodes. */
    redisCluster?: boolean | string;
  } = {},
): Promise<TestSpace> {
  const slug = basename(file)
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase()
    .slice(0, 30);
  const namespace = `t-${slug}-${randomBytes(3).toString('hex')}`;
  const clusterNodes =
    options.redisCluster === true ? REDIS_CLUSTER_NODES : options.redisCluster || undefined;
  const topic = `test.${namespace}.events`;
  const childEnv: Record<string, string> = {
    ...env,
    MONITOR_NAMESPACE: namespace,
    KAFKA_TOPIC: topic,
    METRICS_PORT: '0',
    LOG_LEVEL: 'info', // tests read the monitor's start line (metrics port)
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    ...(clusterNodes ? { REDIS_CLUSTER_NODES: clusterNodes } : {}),
  };
  const ctx = createContext({}, { ...process.env, ...childEnv });
  const k = kafka();
  if (options.createTopic !== false) await ensureTopics(k, topic, options.partitions ?? 3);
  return {
    namespace,
    topic,
    dlq: deadLetterTopicOf(topic),
    ctx,
    env: childEnv,
    async cleanup() {
      if (existsSync(PROMETHEUS_TARGETS_DIR)) {
        for (const f of readdirSync(PROMETHEUS_TARGETS_DIR)) {
          if (f.includes(`-${namespace}-`)) rmSync(join(PROMETHEUS_TARGETS_DIR, f), { force: true });
        }
      }
      const r: RedisClient = clusterNodes ? clusterRedis(clusterNodes) : redis();
      await new MonitorState(r, namespace).deleteNamespace();
      r.disconnect();
      await deleteTopics(k, [topic, deadLetterTopicOf(topic)]).catch(() => undefined);
      const admin = k.admin();
      await admin.connect();
      await admin.deleteGroups([consumerGroupOf(namespace)]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/**
 * Writes `messages` once each: idempotent, as the replay command, so a send
 * retried under load (its first attempt written, its answer lost) never
 * duplicates a record and the tests' exact counts stay exact.
 */
export async function produce(
  topic: string,
  messages: Message[],
  options: { compression?: CompressionTypes } = {},
): Promise<void> {
  const producer = kafka().producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (const chunk of sends(messages)) {
      await producer.send({ topic, acks: -1, messages: chunk, compression: options.compression });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Sends of at most 1,000 messages and 8 MiB uncompressed: none over a topic's 16 MiB limit. */
function* sends(messages: Message[]): Generator<Message[]> {
  const sizeOf = (m: Message) =>
    (m.value?.length ?? 0) + Object.values(m.headers ?? {}).reduce<number>((n, v) => n + String(v).length, 0);
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (chunk.length > 0 && (chunk.length === 1000 || bytes + sizeOf(m) > 8 * 1024 * 1024)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += sizeOf(m);
  }
  if (chunk.length > 0) yield chunk;
}

/** Every record of a topic, from the beginning, until `count` arrived. */
export async function readTopic(topic: string, count: number, timeoutMs = 30_000) {
  const consumer = kafka().consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const records: {
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, string>;
    partition: number;
  }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${records.length} of ${count} records from ${topic}`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ key: message.key, value: message.value, headers, partition });
        if (records.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}
