/**
 * Creates the events topic and its dead-letter topic when missing. Brokers run
 * with auto-creation off, as in production.
 */
import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import { deadLetterTopicOf } from './kafka.ts';

/** Large enough for the monitor's own size limit plus headers, so a too-large message still reaches the DLQ. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface EnsureResult {
  created: string[];
  existing: string[];
}

export async function ensureTopics(kafka: Kafka, topic: string, partitions = 6): Promise<EnsureResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [topic, deadLetterTopicOf(topic)];
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length) {
      // false when another process created them meanwhile: fine either way
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t,
          numPartitions: partitions,
          replicationFactor: -1,
          configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
        })),
      });
    }
    await waitForLeaders(admin, wanted);
    return { created: missing, existing: wanted.filter((t) => existing.has(t)) };
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

const LEADERS_TIMEOUT_MS = 60_000;

/**
 * Until every partition of `topics` has a leader. kafkajs's own wait tolerates
 * LEADER_NOT_AVAILABLE only, while a KRaft broker that just started or just
 * created the topic may answer UNKNOWN_TOPIC_OR_PARTITION for a moment; any
 * error kafkajs marks retriable is waited out here, anything else is thrown.
 */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    let waitingFor = 'partition leaders';
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready) return;
    } catch (err) {
      if (!retriable(err)) throw err;
      waitingFor = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `topics ${topics.join(', ')} not ready within ${LEADERS_TIMEOUT_MS / 1000} s: ${waitingFor}`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
  }
}

/** kafkajs marks each error retriable or not; a wrapper (retries exhausted) carries the original as its cause. */
function retriable(err: unknown): boolean {
  const e = err as { retriable?: boolean; cause?: unknown } | undefined;
  return e?.retriable === true || (e?.cause !== undefined && retriable(e.cause));
}

// kafkajs's ES module face does not export ConfigResourceTypes by name (its index spreads the errors object)
const TOPIC_RESOURCE = 2 as ConfigResourceTypes; // ConfigResourceTypes.TOPIC

/**
 * The largest record batch a topic takes (`max.message.bytes`), or Kafka's
 * default when the broker does not say (no such topic, no right to describe it).
 */
export async function maxMessageBytesOf(kafka: Kafka, topic: string): Promise<number> {
  const bytes = Number(await topicConfig(kafka, topic, 'max.message.bytes').catch(() => undefined));
  return Number.isInteger(bytes) && bytes > 0 ? bytes : KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
}

/** The broker's default `max.message.bytes`. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** One setting of a topic as the broker reports it (its default included); undefined if not reported. */
export async function topicConfig(kafka: Kafka, topic: string, name: string): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: [name] }],
    });
    return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  } finally {
    await admin.disconnect();
  }
}
