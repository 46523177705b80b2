/**
 * KafkaJS client from the environment: brokers, TLS and SASL. KafkaJS's own
 * log lines are routed into our structured logger.
 */
import { readFileSync } from 'node:fs';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { type Env, readSecret } from '../config/env.ts';
import type { Logger } from '../log.ts';
import { kafkaLogLevel, type TransientGroupError } from './kafka-log.ts';

export function createKafka(env: Env, log: Logger, clientSuffix = ''): Kafka {
  const config: KafkaConfig = {
    clientId: `${env.KAFKA_CLIENT_ID}${clientSuffix}`,
    brokers: env.KAFKA_BROKERS,
    connectionTimeout: 5000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    // at debug, KafkaJS says what it fetches and commits: the way to diagnose a stall
    logLevel: env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? logLevel.DEBUG : logLevel.WARN,
    logCreator: () => {
      const seen = new Set<TransientGroupError>();
      return ({ level, log: entry }) => {
        const { message, timestamp: _t, logger: _l, ...rest } = entry;
        const line = kafkaLogLevel(level, rest, seen);
        log[line.level]({ kafka: rest, ...(line.transient ? { transient: line.transient } : {}) }, message);
      };
    },
  };
  if (env.KAFKA_SSL) {
    config.ssl = env.KAFKA_SSL_CA_FILE ? { ca: [readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] } : true;
  }
  if (env.KAFKA_SASL_MECHANISM) {
    const password = readSecret(env.KAFKA_SASL_PASSWORD, env.KAFKA_SASL_PASSWORD_FILE) ?? '';
    config.sasl = {
      mechanism: env.KAFKA_SASL_MECHANISM,
      username: env.KAFKA_SASL_USERNAME ?? '',
      password,
    } as SASLOptions;
  }
  return new Kafka(config);
}

/** The consumer group of a namespace: several shops (and test runs) share one Kafka. */
export const consumerGroupOf = (namespace: string) => `event-monitor.${namespace}`;

export const deadLetterTopicOf = (topic: string) => `${topic}.dlq`;
