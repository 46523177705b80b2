/**
 * `event-monitor consume`: the streaming monitor. Wires Kafka → decode →
 * validate → per-day Redis state, and serves /metrics.
 */
import { Partitioners, type Producer } from 'kafkajs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { BatchProcessor } from '../ingest/batch-processor.ts';
import type { IngestObserver } from '../ingest/ports.ts';
import { RejectGuard } from '../ingest/reject-guard.ts';
import { registerBuildInfo } from '../metrics/build-info.ts';
import { registerDayGauges } from '../metrics/day-gauges.ts';
import { consumerObserver, IngestMetrics, ingestObserver } from '../metrics/ingest-metrics.ts';
import { registerRedundancyGauges } from '../metrics/redundancy-gauges.ts';
import { registerScrapeTarget } from '../metrics/scrape-target.ts';
import { startMetricsServer } from '../metrics/server.ts';
import { REJECT_REASONS } from '../outcome.ts';
import { startConsumer } from '../source/consumer.ts';
import { type DeadLetterWriteError, KafkaDeadLetterSink } from '../source/dead-letter.ts';
import { MessageDecoder } from '../source/decode.ts';
import { deadLetterTopicOf } from '../source/kafka.ts';
import type { DeadLetterSink } from '../source/messages.ts';
import { ensureTopics, maxMessageBytesOf } from '../source/topics.ts';
import type { MonitorState } from '../state/monitor-state.ts';
import { createRedis } from '../state/redis.ts';
import { EventValidator } from '../validation/event.ts';
import { type Context, kafkaOf, registryOf, stateOf } from './context.ts';
import { VERSION } from './version.ts';

/** The pipeline as configured: the consumer's, and the dead-letter replay's. */
export function processorOf(
  ctx: Context,
  state: MonitorState,
  deadLetters: DeadLetterSink,
  observer?: IngestObserver,
  /** The consumer's guard; a replay has none (it puts back what was already rejected). */
  guard?: RejectGuard,
): BatchProcessor {
  const { config } = ctx;
  return new BatchProcessor({
    namespace: ctx.namespace,
    decoder: new MessageDecoder(registryOf(ctx), config.ingest.maxMessageBytes, config.source.payload),
    validator: new EventValidator(config.ingest, ctx.plan, config.source),
    days: ctx.days,
    state: state.days,
    channels: config.channels,
    traffic: config.traffic,
    deadLetters,
    ...(observer ? { observer } : {}),
    ...(guard ? { guard } : {}),
    log: ctx.log,
  });
}

/**
 * The dead-letter sink as configured: batches cut to the dead-letter topic's
 * own limit, a refused batch logged (and counted, by `onOwnFault`).
 */
export async function deadLetterSinkOf(
  ctx: Context,
  producer: Producer,
  onOwnFault?: (err: DeadLetterWriteError) => void,
): Promise<KafkaDeadLetterSink> {
  return new KafkaDeadLetterSink(producer, {
    maxBatchBytes: await maxMessageBytesOf(kafkaOf(ctx), deadLetterTopicOf(ctx.topic)),
    onOwnFault: (err) => {
      onOwnFault?.(err);
      ctx.log.error(
        { err: err.message },
        'a dead-letter batch was refused; its records written as coordinates',
      );
    },
  });
}

export interface ConsumeOptions {
  exitWhenIdleSeconds?: number;
  /** Create the topic and its DLQ when missing (the demo and tests; production topics are provisioned). */
  ensureTopic?: boolean;
}

export async function consume(ctx: Context, options: ConsumeOptions = {}): Promise<number> {
  const { env, config, log, namespace, topic } = ctx;
  // Handle SIGTERM from the first moment: an orchestrator may stop us while we still connect.
  let stopRequested: NodeJS.Signals | undefined;
  let stopNow: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = signal;
    log.info({ signal }, 'stopping: finishing the in-flight batch');
    stopNow?.();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const redis = createRedis(env, `event-monitor:consume:${namespace}`);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  const state = stateOf(ctx, redis);
  const kafka = kafkaOf(ctx);
  if (options.ensureTopic) await ensureTopics(kafka, topic);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'em_process_' });
  const metrics = new IngestMetrics(registry);
  metrics.initialize(namespace, config.ingest.knownEventNames, REJECT_REASONS);
  registerDayGauges(registry, state, ctx.days, allChannels(config));
  registerRedundancyGauges(registry, state);
  registerBuildInfo(registry, VERSION);

  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  const processor = processorOf(
    ctx,
    state,
    await deadLetterSinkOf(ctx, producer, (err) => metrics.errors.inc({ namespace, system: err.system })),
    ingestObserver(
      metrics,
      namespace,
      new Set(config.ingest.knownEventNames),
      new Set(ctx.plan?.plannedNames ?? []),
    ),
    new RejectGuard(config.ingest.rejectGuard),
  );

  const consumer = await startConsumer({
    kafka,
    namespace,
    topic,
    processor,
    log,
    observer: consumerObserver(metrics, namespace),
    fromBeginning: env.KAFKA_FROM_BEGINNING,
    sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: env.KAFKA_MAX_BYTES_PER_PARTITION,
    maxBytes: env.KAFKA_MAX_BYTES,
    commitIntervalMs: env.KAFKA_COMMIT_INTERVAL_MS,
    partitionsConsumedConcurrently: env.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
    ...(options.exitWhenIdleSeconds !== undefined
      ? { exitWhenIdleSeconds: options.exitWhenIdleSeconds }
      : {}),
  });

  const server = await startMetricsServer(registry, env.METRICS_HOST, env.METRICS_PORT, async () => {
    if (!consumer.ready()) return false;
    return (await redis.ping().catch(() => '')) === 'PONG';
  });
  const target = registerScrapeTarget(server.port, namespace);
  log.info({ namespace, topic, metricsPort: server.port }, 'consuming');

  stopNow = () => void consumer.stop();
  if (stopRequested) stopNow();

  await consumer.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  target?.remove();
  await producer.disconnect().catch(() => undefined);
  await server.close();
  redis.disconnect();
  const s = consumer.stats();
  log.info({ ...s }, 'consumer exited');
  return 0;
}

/** Every channel name the rules can produce: label values of the channel gauge. */
export function allChannels(config: Context['config']): string[] {
  const c = config.channels;
  return [
    ...new Set([
      ...c.clickIds.map((r) => r.channel),
      c.utm.paidChannel,
      c.utm.emailChannel,
      c.utm.affiliateChannel,
      c.utm.otherChannel,
      ...c.referrers.map((r) => r.channel),
      c.referralChannel,
      c.directChannel,
    ]),
  ];
}
