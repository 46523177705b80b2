/**
 * Runtime configuration from the environment: where the services are, how to
 * reach them, and the process's own knobs. One zod schema is the validator,
 * the documentation (see README) and the type.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dictionary } from '../dictionary.ts';
import { DEFAULT_RUNBOOK_BASE_URL, LOCAL_ENDPOINTS } from './endpoints.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const EnvSchema = z.object({
  MONITOR_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lower-case letters, digits, dot, dash or underscore, at most 63')
    .default('default'),
  MONITOR_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'not an IANA time zone (e.g. UTC, Europe/Berlin)')
    .default('UTC'),
  MONITOR_CONFIG_FILE: z.string().optional(),
  /** The tracking plan (YAML or JSON); overrides trackingPlan.file of the monitoring config. */
  TRACKING_PLAN_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  KAFKA_BROKERS: list
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1))
    .default([LOCAL_ENDPOINTS.KAFKA_BROKERS]),
  KAFKA_CLIENT_ID: z.string().default('event-monitor'),
  KAFKA_TOPIC: z.string().min(1).default('events.raw'),
  KAFKA_SESSION_TIMEOUT_MS: int(3000, 300_000).default(30_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: int(100, 60_000).default(3000),
  /**
   * Fetch size per partition, and of a whole fetch: what bounds the consumer's
   * memory. A record batch larger than either still arrives whole (the broker
   * returns the first batch of a fetch whatever its size, KIP-74; the fetch
   * test proves it), so these bound memory, not the largest message.
   */
  KAFKA_MAX_BYTES_PER_PARTITION: int(64 * 1024, 256 * 1024 * 1024).default(512 * 1024),
  KAFKA_MAX_BYTES: int(512 * 1024, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
  /** Offsets are committed at most this often: Redis, not the commit, decides what was applied, so redelivery is harmless. */
  KAFKA_COMMIT_INTERVAL_MS: int(100, 600_000).default(5000),
  KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: int(1, 64).default(3),
  /** A new consumer group starts at the earliest retained offset so history in the topic is counted. */
  KAFKA_FROM_BEGINNING: bool.default(true),
  KAFKA_SSL: bool.default(false),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),

  SCHEMA_REGISTRY_URL: z.url().default(LOCAL_ENDPOINTS.SCHEMA_REGISTRY_URL),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),

  /** redis://[:password@]host:port[/db] or rediss:// for TLS. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default(LOCAL_ENDPOINTS.REDIS_URL),
  REDIS_PASSWORD_FILE: z.string().optional(),
  /**
   * Seed nodes of a Redis Cluster (host:port,host:port,...): the state goes to
   * the cluster instead of REDIS_URL (whose password and TLS scheme still apply).
   */
  REDIS_CLUSTER_NODES: list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1)).optional(),
  /**
   * Replicas that must hold a batch's writes (Redis WAIT) before its offsets
   * may be committed; default 1 on a cluster, 0 on a single Redis.
   */
  REDIS_MIN_REPLICAS: int(0, 16).optional(),
  /** How long a batch waits for those replicas before it is retried (and its offsets not committed). */
  REDIS_REPLICA_TIMEOUT_MS: int(10, 60_000).default(2000),
  /**
   * When a shard has fewer replicas than REDIS_MIN_REPLICAS (a node lost for
   * good): `available` keeps applying after REDIS_REPLICA_GRACE_MS, waiting for
   * the replicas the shard still has, and says so (metrics, alert, the day's
   * report); `strict` stops applying until the replicas are back.
   */
  REDIS_REPLICA_POLICY: z.enum(['available', 'strict']).default('available'),
  /** How long a shard may lack replicas before `available` goes on without them (a replica restarting is back by then). */
  REDIS_REPLICA_GRACE_MS: int(0, 3_600_000).default(30_000),

  PROMETHEUS_URL: z.url().default(LOCAL_ENDPOINTS.PROMETHEUS_URL),
  /**
   * Where alerts go when several paths are configured: `auto` (Alertmanager
   * alone when ALERTMANAGER_URL is set, which routes to Slack and PagerDuty
   * itself; else the direct sinks), `alertmanager`, `direct`, or `both` (every
   * alert then arrives twice, once per path).
   */
  ALERT_DELIVERY: z.enum(['auto', 'alertmanager', 'direct', 'both']).default('auto'),
  /**
   * Where the runbooks are read (docs/runbooks.md, one section per alert and
   * check): every alert's runbook_url is this and the check's anchor. The
   * compose file's web server serves docs/ there.
   */
  RUNBOOK_BASE_URL: z.url().default(DEFAULT_RUNBOOK_BASE_URL),
  ALERTMANAGER_URL: z
    .url()
    .optional()
    .or(z.literal('').transform(() => undefined)),

  METRICS_HOST: z.string().default('0.0.0.0'),
  /** 0 picks a free port (tests run many monitors on one machine). */
  METRICS_PORT: int(0, 65_535).default(9464),

  SLACK_WEBHOOK_URL: z.url().optional(),
  SLACK_WEBHOOK_URL_FILE: z.string().optional(),
  PAGERDUTY_ROUTING_KEY: z.string().min(1).optional(),
  PAGERDUTY_ROUTING_KEY_FILE: z.string().optional(),
  PAGERDUTY_EVENTS_URL: z.url().default('https://events.pagerduty.com/v2/enqueue'),

  CLOSEOUT_SCHEDULE: z.string().default('30 6 * * *'),
  /** `intraday --schedule`: when to judge the day so far (cron, in MONITOR_TIMEZONE; seconds allowed as a 6th field). */
  INTRADAY_SCHEDULE: z.string().default('* * * * *'),
});

export type Env = z.infer<typeof EnvSchema>;

/** Configuration that cannot work: the message holds one line per problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export function formatIssues(issues: z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((i) => {
    const path = i.path.join('.');
    return `${prefix}${path || '(root)'}: ${i.message}`;
  });
}

/** Parse the environment; unset and empty variables take their defaults. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const known = Object.keys(EnvSchema.shape);
  const picked = dictionary<string>();
  for (const key of known) {
    const value = source[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = EnvSchema.safeParse(picked);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  return result.data;
}

/** A secret from VAR or VAR_FILE (Docker/Kubernetes secrets). Never logged. */
export function readSecret(value: string | undefined, file: string | undefined): string | undefined {
  if (value) return value;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    throw new ConfigError([
      `cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    ]);
  }
}
