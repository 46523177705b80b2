/**
 * Creates the events topic and its dead-letter topic when missing. Brokers run
 * with auto-creation off, as in production.
 */
import type { Kafka } from 'kafkajs';
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t,
          numPartitions: partitions,
          replicationFactor: -1,
          configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
        })),
      });
    }
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
