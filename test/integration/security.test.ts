/**
 * Secrets stay out of logs and error messages; Redis with AUTH works; a bad
 * configuration stops the process with one line per problem.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { type RedisInstance, startRedis, stop } from '../../stack/services.ts';
import { eventually, runCli, startMonitor } from '../helpers/monitor-process.ts';
import { produce, type TestSpace, testSpace } from '../helpers/stack.ts';

const PASSWORD = 'Sup3r-secret-redis-pw';
const AUTH_REDIS: RedisInstance = { name: 'redis-auth', port: 16398, password: PASSWORD };
let space: TestSpace;

beforeAll(async () => {
  space = await testSpace(import.meta.filename);
  await startRedis(AUTH_REDIS, () => {}, false);
});
afterAll(async () => {
  await stop(AUTH_REDIS.name);
  await space.cleanup();
});

const event = (i: number) => ({
  key: `c${i}`,
  value: JSON.stringify({
    client_id: `c${i}`,
    page_url: 'https://puffy.com/',
    referrer: null,
    timestamp: '2025-03-01T10:00:00.000Z',
    event_name: 'page_viewed',
    event_data: null,
    user_agent: 'ua',
  }),
});

describe('security', () => {
  it('consumes into a Redis that requires a password (from REDIS_PASSWORD_FILE)', async () => {
    await produce(
      space.topic,
      Array.from({ length: 50 }, (_, i) => event(i)),
    );
    const file = join(tmpdir(), `${space.namespace}-redis-pw`);
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const run = await runCli(['consume', '--exit-when-idle', '2'], {
      ...space.env,
      REDIS_URL: `redis://127.0.0.1:${AUTH_REDIS.port}`,
      REDIS_PASSWORD_FILE: file,
    });
    expect(run.code, run.output).toBe(0);
    const { Redis } = await import('ioredis');
    const r = new Redis(`redis://:${PASSWORD}@127.0.0.1:${AUTH_REDIS.port}`);
    expect((await new MonitorState(r, space.namespace).days.read('2025-03-01')).counters.events).toBe(50);
    await new MonitorState(r, space.namespace).deleteNamespace();
    r.disconnect();
    expect(run.output).not.toContain(PASSWORD);
  });

  it('keeps a wrong Redis password out of its logs, and keeps running', async () => {
    const wrong = 'Wr0ng-pw-must-not-leak';
    const p = startMonitor(['consume'], {
      ...space.env,
      REDIS_URL: `redis://:${wrong}@127.0.0.1:${AUTH_REDIS.port}`,
      LOG_LEVEL: 'debug',
    });
    await eventually(
      async () => p.output(),
      (out) => out.includes('batch not applied; retrying') || out.includes('redis connection error'),
      60_000,
    );
    expect(p.child.exitCode).toBeNull();
    p.kill('SIGKILL');
    await p.exited;
    expect(p.output()).not.toContain(wrong);
  });

  it('never prints a Slack webhook URL or a PagerDuty key, even when delivery fails', async () => {
    const slack = 'https://127.0.0.1:1/services/T000/B000/SLACKSECRETTOKEN';
    const key = 'PDSECRETROUTINGKEY0123456789';
    const run = await runCli(['closeout', '--date', '2025-03-01', '--fail-on', 'never', '--rerun'], {
      ...space.env,
      LOG_LEVEL: 'debug',
      SLACK_WEBHOOK_URL: slack,
      PAGERDUTY_ROUTING_KEY: key,
      ALERT_DELIVERY: 'direct',
      PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:1/v2/enqueue',
      MONITOR_CONFIG_FILE: writeConfig('thresholds:\n  minDailyEvents: 100000\n  maxDailyEvents: 200000\n'),
    });
    expect(run.output).toContain('slack: delivery failed');
    expect(run.output).toContain('pagerduty: delivery failed');
    expect(run.output).not.toContain('SLACKSECRETTOKEN');
    expect(run.output).not.toContain(key);
  });

  it('stops on a bad configuration with one line per problem, and no secret in them', async () => {
    const run = await runCli(['consume'], {
      ...space.env,
      KAFKA_BROKERS: 'not a broker',
      METRICS_PORT: '99999',
      MONITOR_TIMEZONE: 'Mars/Olympus',
      KAFKA_SASL_PASSWORD: 'SASLSECRET',
      KAFKA_SASL_MECHANISM: 'md5',
    });
    expect(run.code).toBe(2);
    const lines = run.output.split('\n').filter((l) => l.startsWith('event-monitor: config: '));
    expect(lines).toHaveLength(4);
    expect(run.output).toMatch(/config: MONITOR_TIMEZONE: not an IANA time zone/);
    expect(run.output).not.toContain('SASLSECRET');
  });
});

function writeConfig(text: string) {
  const file = join(tmpdir(), `${space.namespace}-config.yml`);
  writeFileSync(file, text);
  return file;
}
