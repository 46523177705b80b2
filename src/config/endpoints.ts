/**
 * Where the services live when nothing else is configured: the local stack
 * (`npm run stack:up`) listens on these, and the CLI uses them as defaults.
 * Ports are the conventional ones shifted by 10000 so a developer's own
 * Kafka or Prometheus on the usual ports is left alone.
 */
export const LOCAL_ENDPOINTS = {
  KAFKA_BROKERS: '127.0.0.1:19092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PROMETHEUS_URL: 'http://127.0.0.1:19090',
  ALERTMANAGER_URL: 'http://127.0.0.1:19093',
} as const;

/** docs/runbooks.md as the compose file's web server serves it: RUNBOOK_BASE_URL's default. */
export const DEFAULT_RUNBOOK_BASE_URL = 'http://localhost:8088/docs/runbooks.md';
