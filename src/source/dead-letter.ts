/**
 * Writes rejected messages to `<topic>.dlq`: the original key, value and
 * headers, plus headers saying why and where from. Delivery is at least once
 * (a crash before the offset commit writes the record again); the source
 * partition and offset headers let a reader drop repeats.
 */
import { CompressionTypes, type Producer } from 'kafkajs';

import { DependencyUnavailableError } from '../errors.ts';
import { deadLetterTopicOf } from './kafka.ts';
import type { DeadLetter, DeadLetterSink } from './messages.ts';

export const DLQ_HEADERS = {
  reason: 'x-em-reject-reason',
  detail: 'x-em-reject-detail',
  topic: 'x-em-source-topic',
  partition: 'x-em-source-partition',
  offset: 'x-em-source-offset',
  timestamp: 'x-em-source-timestamp',
  /** the day the rejection was counted on, in the monitor's time zone */
  day: 'x-em-counted-day',
  /** contract_violation: the event name, and the first violation's path and rule */
  contractEvent: 'x-em-contract-event',
  contractPath: 'x-em-contract-path',
  contractRule: 'x-em-contract-rule',
  /** contract_violation: every violation, as a JSON array of [path, rule] */
  contractViolations: 'x-em-contract-violations',
} as const;

/** Violations named in one dead letter's headers; more are cut (the count is in the day's report). */
const MAX_HEADER_VIOLATIONS = 20;

function contractHeaders(c: DeadLetter['contract']): Record<string, string> {
  if (!c || c.violations.length === 0) return {};
  const first = c.violations[0]!;
  return {
    [DLQ_HEADERS.contractEvent]: c.eventName,
    [DLQ_HEADERS.contractPath]: first.path,
    [DLQ_HEADERS.contractRule]: first.rule,
    [DLQ_HEADERS.contractViolations]: JSON.stringify(
      c.violations.slice(0, MAX_HEADER_VIOLATIONS).map((v) => [v.path, v.rule]),
    ),
  };
}

export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(private readonly producer: Producer) {}

  async send(records: DeadLetter[]): Promise<void> {
    const byTopic = new Map<string, DeadLetter[]>();
    for (const r of records) {
      const t = deadLetterTopicOf(r.topic);
      byTopic.set(t, [...(byTopic.get(t) ?? []), r]);
    }
    // the batch waits until its dead letters are written: a failure here is Kafka's, never the message's
    await this.producer
      .sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({
            key: r.message.key,
            value: r.message.value,
            timestamp: r.message.timestamp,
            headers: {
              ...r.message.headers,
              [DLQ_HEADERS.reason]: r.reason,
              [DLQ_HEADERS.detail]: r.detail,
              [DLQ_HEADERS.topic]: r.topic,
              [DLQ_HEADERS.partition]: String(r.partition),
              [DLQ_HEADERS.offset]: r.message.offset,
              [DLQ_HEADERS.timestamp]: r.message.timestamp,
              [DLQ_HEADERS.day]: r.day,
              ...contractHeaders(r.contract),
            },
          })),
        })),
      })
      .catch((err: unknown) => {
        throw new DependencyUnavailableError(
          'kafka',
          `dead-letter write failed (${(err as Error)?.name})`,
          err,
        );
      });
  }
}
