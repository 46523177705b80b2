/**
 * Prometheus rules and Alertmanager routing with the real tools: promtool and
 * amtool check the files and run the rule unit tests; a real Alertmanager,
 * run with the repo's routing and its receivers pointed at a local webhook
 * server, proves where each severity goes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../stack/services.ts';
import { eventually, runCli } from '../helpers/monitor-process.ts';
import { testSpace } from '../helpers/stack.ts';
import { startWebhookSink } from '../helpers/webhook-sink.ts';

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8' });
const alertmanagerBin = ['prometheus-alertmanager', 'alertmanager'].find(
  (b) => run('sh', ['-c', `command -v ${b}`]).status === 0,
)!;

describe('rule and routing files', () => {
  it('promtool check config: prometheus.yml', () => {
    const r = run('promtool', ['check', 'config', '--syntax-only', 'prometheus.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('promtool check rules: every rule file', () => {
    const r = run('promtool', ['check', 'rules', 'prometheus/rules/event-monitor.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules: each rule fires on its failure and stays quiet on a normal day', () => {
    const r = run('promtool', ['test', 'rules', 'prometheus/tests/event-monitor.test.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('every alert rule has a severity, a summary, a description and a runbook_url', () => {
    const rules = parse(readFileSync(join(REPO_ROOT, 'prometheus/rules/event-monitor.yml'), 'utf8')) as {
      groups: {
        rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
      }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const a of alerts) {
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      expect(a.annotations?.runbook_url, a.alert).toMatch(/^https?:\/\/.+#[a-z_]+$/);
    }
  });

  it('amtool check-config: alertmanager/alertmanager.yml', () => {
    const r = run('amtool', ['check-config', 'alertmanager/alertmanager.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe('Alertmanager routing, end to end', () => {
  let am: ChildProcess;
  let amUrl: string;
  let dir: string;
  let sink: Awaited<ReturnType<typeof startWebhookSink>>;

  beforeAll(async () => {
    sink = await startWebhookSink();
    dir = mkdtempSync(join(tmpdir(), 'em-am-'));
    writeFileSync(join(dir, 'slack-webhook-url'), sink.url('/slack/T0/B0/secret'));
    writeFileSync(join(dir, 'pagerduty-routing-key'), 'routing-key-from-file');
    // The repo's routing as is; only the secrets folder, PagerDuty's endpoint and the waits differ.
    const config = parse(
      readFileSync(join(REPO_ROOT, 'alertmanager/alertmanager.yml'), 'utf8').replaceAll(
        '/etc/alertmanager/secrets',
        dir,
      ),
    ) as { global: Record<string, unknown>; route: Record<string, unknown> };
    config.global.pagerduty_url = sink.url('/pagerduty/v2/enqueue');
    Object.assign(config.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
    writeFileSync(join(dir, 'alertmanager.yml'), stringify(config));
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    am = spawn(
      alertmanagerBin,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      () => fetch(`${amUrl}/-/ready`).then((r) => r.ok),
      (ok) => ok,
      30_000,
    );
  });
  afterAll(async () => {
    // Alertmanager writes its state snapshots as it shuts down: remove its folder once it has exited
    if (am && am.exitCode === null && am.signalCode === null) {
      const exited = new Promise((resolve) => am.once('exit', resolve));
      am.kill('SIGTERM');
      const stuck = setTimeout(() => am.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(stuck);
    }
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[]) =>
    fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        alerts.map((a) => ({
          annotations: { summary: 's', runbook: 'r' },
          ...a,
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        })),
      ),
    });

  it('critical pages PagerDuty, warning goes to Slack, info goes nowhere', async () => {
    await post([
      {
        labels: {
          alertname: 'duplicate_transactions',
          severity: 'critical',
          namespace: 'shop',
          date: '2025-03-08',
        },
        annotations: { summary: 'dup', runbook: 'check double submit' },
      },
      {
        labels: { alertname: 'schema_drift', severity: 'warning', namespace: 'shop', date: '2025-02-27' },
        annotations: { summary: 'drift', runbook: 'compare field sets' },
      },
      {
        labels: {
          alertname: 'minor_funnel_variation',
          severity: 'info',
          namespace: 'shop',
          date: '2025-03-08',
        },
      },
    ]);
    await eventually(
      async () => sink.received.length,
      (n) => n >= 2,
      30_000,
    );
    // the info alert is routed to the receiver without integrations: Alertmanager says so itself
    const info = (await (
      await fetch(`${amUrl}/api/v2/alerts?filter=${encodeURIComponent('alertname="minor_funnel_variation"')}`)
    ).json()) as { receivers: { name: string }[] }[];
    expect(info.map((a) => a.receivers.map((r) => r.name))).toEqual([['null']]);

    const pages = sink
      .on('/pagerduty/')
      .map((r) => r.body as Record<string, unknown> & { payload: Record<string, unknown> });
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ routing_key: 'routing-key-from-file', event_action: 'trigger' });
    expect(pages[0]?.payload.summary).toBe('dup');
    expect(JSON.stringify(pages[0])).toContain('check double submit');

    const chats = sink
      .on('/slack/T0/B0/secret')
      .map((r) => r.body as { channel: string; attachments: { title: string; text: string }[] });
    expect(chats).toHaveLength(1);
    expect(chats[0]?.channel).toBe('#data-alerts');
    expect(chats[0]?.attachments[0]?.title).toContain('schema_drift');
    expect(JSON.stringify(chats)).not.toContain('minor_funnel_variation');
    expect(JSON.stringify(pages)).not.toContain('minor_funnel_variation');
  });

  it("gathers a shop's day into one incident: its critical alerts, close-out and intraday, in one page", async () => {
    await post([
      {
        labels: {
          alertname: 'intraday_volume_drop',
          severity: 'critical',
          event_name: 'page_viewed',
          namespace: 'shop2',
          date: '2025-03-09',
          source: 'intraday',
        },
        annotations: { summary: 'page views stopped', since: '2025-03-09T12:00:00Z' },
      },
      {
        labels: {
          alertname: 'low_event_volume',
          severity: 'critical',
          namespace: 'shop2',
          date: '2025-03-09',
        },
        annotations: { summary: 'too few events', runbook: 'restore tracking' },
      },
      {
        labels: {
          alertname: 'low_event_volume',
          severity: 'critical',
          namespace: 'shop2',
          date: '2025-03-10',
        },
        annotations: { summary: 'the next day', runbook: 'restore tracking' },
      },
    ]);
    const shop2 = () =>
      sink
        .on('/pagerduty/')
        .map(
          (r) =>
            r.body as { dedup_key: string; payload: { summary: string; custom_details: { date: string } } },
        )
        .filter((p) => JSON.stringify(p).includes('shop2'));
    const pages = await eventually(
      async () => shop2(),
      (p) => new Set(p.map((x) => x.payload.custom_details.date)).size === 2,
      30_000,
    );
    const day = pages.filter((p) => p.payload.custom_details.date === '2025-03-09');
    // Alertmanager orders a group's alerts itself
    const [head, list] = day[0]!.payload.summary.split(': ');
    expect(head).toBe('[shop2 2025-03-09] 2 critical alerts');
    expect(list!.split('; ').sort()).toEqual(['intraday_volume_drop (page_viewed)', 'low_event_volume']);
    // one incident a day: every page of the day under one key, another day under another
    expect(new Set(day.map((p) => p.dedup_key)).size).toBe(1);
    const next = pages.filter((p) => p.payload.custom_details.date === '2025-03-10');
    expect(next[0]?.payload.summary).toBe('the next day');
    expect(next[0]?.dedup_key).not.toBe(day[0]?.dedup_key);
  });

  it("one path by default: a day's close-out with Slack, PagerDuty and Alertmanager all configured is one Slack message and one PagerDuty incident", async () => {
    const space = await testSpace(`${import.meta.filename}-one-path`);
    try {
      // nothing was produced: with the real export's shop config (its volume floor and expected
      // channels), CRITICAL and WARNING alerts both fire
      const day = '2025-03-01';
      const run = await runCli(['closeout', '--date', day, '--fail-on', 'never'], {
        ...space.env,
        MONITOR_CONFIG_FILE: join(REPO_ROOT, 'config', 'puffy.yaml'),
        ALERTMANAGER_URL: amUrl,
        SLACK_WEBHOOK_URL: sink.url('/direct-slack/T0/B0/secret'),
        PAGERDUTY_ROUTING_KEY: 'direct-routing-key',
        PAGERDUTY_EVENTS_URL: sink.url('/direct-pagerduty/v2/enqueue'),
      });
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('alerts go through Alertmanager only');
      const ofDay = (path: string) =>
        sink.on(path).filter((r) => JSON.stringify(r.body).includes(space.namespace));
      await eventually(
        async () => ofDay('/pagerduty/').length > 0 && ofDay('/slack/').length > 0,
        (ok) => ok,
        30_000,
      );
      const incidents = new Set(ofDay('/pagerduty/').map((r) => (r.body as { dedup_key: string }).dedup_key));
      expect(incidents.size).toBe(1);
      expect(ofDay('/slack/')).toHaveLength(1);
      expect(sink.on('/direct-slack/')).toHaveLength(0);
      expect(sink.on('/direct-pagerduty/')).toHaveLength(0);
    } finally {
      await space.cleanup();
    }
  });

  it('inhibits data-quality alerts while a monitor instance is down', async () => {
    const before = sink.on('/pagerduty/').length;
    await post([
      {
        labels: {
          alertname: 'MonitorDown',
          severity: 'critical',
          category: 'service',
          job: 'monitor',
          instance: 'm1:9464',
          namespace: 'shop',
        },
      },
    ]);
    await eventually(
      async () => sink.on('/pagerduty/').length,
      (n) => n > before,
      30_000,
    );
    await post([
      {
        labels: {
          alertname: 'NullClientIdRateHigh',
          severity: 'critical',
          category: 'data-quality',
          namespace: 'shop',
        },
      },
    ]);
    // suppressed before its group's first notification (group_wait 1 s): it is never sent
    const silenced = await eventually(
      async () =>
        (await (
          await fetch(
            `${amUrl}/api/v2/alerts?filter=${encodeURIComponent('alertname="NullClientIdRateHigh"')}`,
          )
        ).json()) as { status: { state: string; inhibitedBy: string[] } }[],
      (alerts) => alerts[0]?.status.state === 'suppressed',
      30_000,
    );
    expect(silenced[0]?.status.inhibitedBy.length).toBe(1);
    // another shop's alerts are not muted by this shop's monitor being down (equal: namespace)
    await post([
      {
        labels: {
          alertname: 'ExpectedFieldMissing',
          severity: 'critical',
          category: 'data-quality',
          namespace: 'another-shop',
        },
      },
    ]);
    const other = await eventually(
      async () =>
        (await (
          await fetch(`${amUrl}/api/v2/alerts?filter=${encodeURIComponent('namespace="another-shop"')}`)
        ).json()) as { status: { state: string } }[],
      (alerts) => alerts[0]?.status.state === 'active',
      30_000,
    );
    expect(other[0]?.status.state).toBe('active');
    const pages = sink
      .on('/pagerduty/')
      .slice(before)
      .map((r) => JSON.stringify(r.body));
    expect(pages.some((p) => p.includes('MonitorDown'))).toBe(true);
    expect(pages.some((p) => p.includes('NullClientIdRateHigh'))).toBe(false);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
