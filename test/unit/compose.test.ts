/**
 * No Docker engine runs here, so docker-compose.yml is checked by the Compose
 * tool's own validator (`docker-compose config`, which needs no engine) and
 * against the app itself: every variable a service sets is one the app reads,
 * with a value its config schema accepts; the monitor can scale; images are
 * pinned.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema, loadEnv } from '../../src/config/env.ts';
import { loadMonitorConfig } from '../../src/config/monitor-config.ts';
import { REPO_ROOT } from '../../stack/services.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  container_name?: string;
}
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const prometheus = parse(readFileSync(join(REPO_ROOT, 'prometheus.yml'), 'utf8')) as {
  scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
};

/** ${VAR:-default} as compose resolves it with VAR unset. */
const interpolate = (v: string | number) => String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const appServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('has the monitor, the close-out scheduler and the stack services', () => {
    for (const name of [
      'kafka',
      'registry',
      'redis',
      'prometheus',
      'alertmanager',
      'grafana',
      'monitor',
      'closeout',
      'intraday',
      'reports',
    ]) {
      expect(compose.services[name], name).toBeDefined();
    }
  });

  it.each(appServices.map(([name]) => name))(
    '%s: every environment variable is one the app reads, with a valid value',
    (name) => {
      const env = Object.fromEntries(
        Object.entries(compose.services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
      );
      const known = Object.keys(EnvSchema.shape);
      expect(Object.keys(env).filter((k) => !known.includes(k))).toEqual([]);
      expect(() => loadEnv(env)).not.toThrow();
    },
  );

  it('runs the commands the CLI has', () => {
    expect(compose.services.monitor?.command).toEqual(['consume']);
    expect(compose.services.closeout?.command).toEqual(['closeout', '--schedule', '--html', '/reports']);
    expect(compose.services.intraday?.command).toEqual(['intraday', '--schedule']);
  });

  it('serves the HTML reports the close-out writes, from the same volume', () => {
    const closeout = compose.services.closeout as { volumes?: string[] };
    const reports = compose.services.reports as { volumes?: string[] };
    expect(closeout.volumes).toContain('reports:/reports');
    expect(reports.volumes).toContain('reports:/usr/share/nginx/html:ro');
    // and the runbooks the alerts link to, where RUNBOOK_BASE_URL points by default
    expect(reports.volumes).toContain('./docs:/usr/share/nginx/html/docs:ro');
    expect(loadEnv({}).RUNBOOK_BASE_URL).toBe('http://localhost:8088/docs/runbooks.md');
  });

  it('lets the monitor scale: no fixed host port, no container name', () => {
    expect(compose.services.monitor?.ports).toBeUndefined();
    expect(compose.services.monitor?.container_name).toBeUndefined();
  });

  it('pins every image to a version', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.image) expect(s.image, name).toMatch(/:\S*\d+\.\d+/);
    }
  });

  it('Prometheus discovers every monitor replica and the schedulers by DNS, on the metrics port', () => {
    const port = Number(compose.services.monitor?.environment?.METRICS_PORT ?? loadEnv({}).METRICS_PORT);
    for (const job of ['monitor', 'closeout', 'intraday']) {
      const sd = prometheus.scrape_configs.find((c) => c.job_name === job)?.dns_sd_configs?.[0];
      expect(sd?.names).toEqual([job]);
      expect(sd?.port).toBe(port);
    }
  });

  it('runs as a deployment: every long-running service has a healthcheck, a restart policy and bounded logs and memory', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const svc = s as Service & {
        healthcheck?: { test: string[] };
        restart?: string;
        logging?: { options?: Record<string, string> };
        deploy?: { resources?: { limits?: { memory?: string } } };
      };
      if (name === 'topics') {
        expect(svc.restart, name).toBe('on-failure'); // a one-shot job
        continue;
      }
      expect(svc.healthcheck?.test, name).toBeDefined();
      expect(svc.restart, name).toBe('unless-stopped');
      expect(svc.logging?.options?.['max-size'], name).toBeDefined();
      expect(svc.deploy?.resources?.limits?.memory, name).toBeDefined();
    }
    // the monitor is healthy when it is ready: in its group, Redis answering, not holding
    expect(JSON.stringify(compose.services.monitor)).toContain('/readyz');
  });

  it('keeps secrets in files: Docker secrets for Alertmanager and Grafana, no anonymous Grafana, no secret in the environment', () => {
    const grafana = compose.services.grafana as Service & { secrets?: string[] };
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe('/run/secrets/grafana-admin-password');
    const alertmanager = compose.services.alertmanager as Service & { secrets?: { target: string }[] };
    const config = readFileSync(join(REPO_ROOT, 'alertmanager/alertmanager.yml'), 'utf8');
    for (const s of alertmanager.secrets ?? []) expect(config).toContain(s.target);
    expect(alertmanager.secrets).toHaveLength(2);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const key of Object.keys(s.environment ?? {})) {
        expect(key, name).not.toMatch(/(SLACK_WEBHOOK_URL|PAGERDUTY_ROUTING_KEY|PASSWORD)$/);
      }
    }
  });

  it('delivers alerts one way: the schedulers post to Alertmanager and have no direct sink', () => {
    for (const name of ['closeout', 'intraday']) {
      const env = compose.services[name]!.environment ?? {};
      expect(env.ALERTMANAGER_URL, name).toBe('http://alertmanager:9093');
      expect(
        Object.keys(env).filter((k) => /SLACK|PAGERDUTY/.test(k)),
        name,
      ).toEqual([]);
    }
  });

  it('exposes no admin API: Prometheus without the lifecycle API, the admin ports on loopback only', () => {
    expect(compose.services.prometheus?.command?.join(' ')).not.toContain('lifecycle');
    for (const name of ['prometheus', 'alertmanager', 'registry']) {
      expect(
        compose.services[name]?.ports?.every((p) => p.startsWith('127.0.0.1:')),
        name,
      ).toBe(true);
    }
  });

  it("keeps the registry's schemas across restarts, and a Kafka listener for the host and the network", () => {
    expect(compose.services.registry?.environment?.APICURIO_STORAGE_KIND).toBe('kafkasql');
    const kafkaEnv = compose.services.kafka?.environment ?? {};
    expect(interpolate(kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? '')).toBe(
      'INTERNAL://kafka:9092,EXTERNAL://localhost:19092',
    );
    expect(compose.services.kafka?.ports).toEqual(['19092:19092']);
  });

  it('mounts the example monitoring config, which the monitor accepts', () => {
    for (const [name] of appServices) {
      expect(compose.services[name]?.environment?.MONITOR_CONFIG_FILE, name).toBe(
        '/etc/event-monitor/monitor.yaml',
      );
      const volumes = (compose.services[name] as { volumes?: string[] }).volumes ?? [];
      expect(volumes, name).toContain('./config/monitor.example.yaml:/etc/event-monitor/monitor.yaml:ro');
    }
    expect(() => loadMonitorConfig(join(REPO_ROOT, 'config/monitor.example.yaml'))).not.toThrow();
  });

  it("passes the Compose tool's own validation, which rejects a broken file", () => {
    const validate = (file: string) =>
      spawnSync('docker-compose', ['-f', file, 'config', '--quiet'], { encoding: 'utf8', cwd: REPO_ROOT });
    const ours = validate(join(REPO_ROOT, 'docker-compose.yml'));
    expect(ours.error).toBeUndefined(); // the tool ran (scripts/bootstrap.sh installs it)
    expect(`${ours.stdout}${ours.stderr}`).toBe('');
    expect(ours.status).toBe(0);
    // the same file with one service's ports as a number instead of a list
    const broken = join(mkdtempSync(join(tmpdir(), 'em-compose-')), 'docker-compose.yml');
    const text = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    writeFileSync(
      broken,
      text.replace(/^services:\n/m, 'services:\n  broken:\n    image: nginx:1.27\n    ports: 5\n'),
    );
    const rejected = validate(broken);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain('services.broken.ports');
  });
});
