/**
 * Builds the monitor's parts from configuration. Every command starts here,
 * so a configuration problem stops every command the same way.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { DayResolver } from '../calendar/day-resolver.ts';
import { type Env, loadEnv } from '../config/env.ts';
import { loadMonitorConfig, type MonitorConfig } from '../config/monitor-config.ts';
import { ALL_CHECK_IDS } from '../delivery/catalog.ts';
import { createLogger, type Logger } from '../log.ts';
import { createKafka } from '../source/kafka.ts';
import { MonitorState } from '../state/monitor-state.ts';
import { createRedis, type RedisClient } from '../state/redis.ts';
import { DEFAULT_PLAN_FILE, TrackingPlan } from '../validation/tracking-plan.ts';

export interface Overrides {
  namespace?: string;
  topic?: string;
}

export interface Context {
  env: Env;
  config: MonitorConfig;
  log: Logger;
  days: DayResolver;
  namespace: string;
  topic: string;
  /** The tracking plan every event is checked against; null when turned off. */
  plan: TrackingPlan | null;
}

export function createContext(overrides: Overrides = {}, source: NodeJS.ProcessEnv = process.env): Context {
  const merged = { ...source };
  if (overrides.namespace) merged.MONITOR_NAMESPACE = overrides.namespace;
  if (overrides.topic) merged.KAFKA_TOPIC = overrides.topic;
  const env = loadEnv(merged);
  const config = loadMonitorConfig(env.MONITOR_CONFIG_FILE, { checkIds: ALL_CHECK_IDS });
  // the plan in config/ is the flat export's; a shop streaming another format brings its own
  const planFile =
    env.TRACKING_PLAN_FILE ??
    config.trackingPlan.file ??
    (config.source.format === 'flat' ? DEFAULT_PLAN_FILE : undefined);
  const plan = config.trackingPlan.enabled && planFile !== undefined ? TrackingPlan.load(planFile) : null;
  return {
    plan,
    env,
    config,
    log: createLogger(env.LOG_LEVEL),
    days: new DayResolver(env.MONITOR_TIMEZONE),
    namespace: env.MONITOR_NAMESPACE,
    topic: env.KAFKA_TOPIC,
  };
}

export const kafkaOf = (ctx: Context, suffix = '') => createKafka(ctx.env, ctx.log, suffix);

export function registryOf(ctx: Context): SchemaRegistry {
  const {
    SCHEMA_REGISTRY_URL: host,
    SCHEMA_REGISTRY_USERNAME: username,
    SCHEMA_REGISTRY_PASSWORD: password,
  } = ctx.env;
  return new SchemaRegistry({
    host,
    clientId: 'event-monitor',
    ...(username ? { auth: { username, password: password ?? '' } } : {}),
  });
}

export function stateOf(ctx: Context, redis: RedisClient = createRedis(ctx.env)): MonitorState {
  return new MonitorState(redis, ctx.namespace, {
    ttlDays: ctx.config.ingest.stateTtlDays,
    duplicateLookbackDays: ctx.config.ingest.duplicateLookbackDays,
    maxViolationTriples: ctx.config.trackingPlan.maxViolationTriples,
    // a cluster is run for availability: by default no offset is committed before a replica holds the writes
    minReplicas: ctx.env.REDIS_MIN_REPLICAS ?? (ctx.env.REDIS_CLUSTER_NODES ? 1 : 0),
    replicaTimeoutMs: ctx.env.REDIS_REPLICA_TIMEOUT_MS,
    replicaPolicy: ctx.env.REDIS_REPLICA_POLICY,
    replicaGraceMs: ctx.env.REDIS_REPLICA_GRACE_MS,
    maxShapes: ctx.config.ingest.maxShapes,
    eventIdWindowHours: ctx.config.source.eventIdWindowHours,
  });
}
