/**
 * Any shop's events, end to end through the real broker, the real CLI and
 * Redis, configured with `source.format` alone: an outside producer (kcat)
 * writing Segment or Shopify Web Pixels JSON, some events twice with the same
 * id on another partition; and Segment's and RudderStack's own Node clients
 * posting to a local collector that writes to Kafka as their Kafka
 * destinations do, with lost responses that make the clients retry. Every
 * event is counted once; the extra deliveries are counted as duplicates.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { buildEcommerceTransaction, buildPageView, newTracker } from '@snowplow/node-tracker';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/closeout/report.ts';
import type { EventFormatName } from '../../src/config/formats/index.ts';
import { parseMonitorConfig } from '../../src/config/monitor-config.ts';
import { CONVERTERS } from '../../src/replay/convert.ts';
import { listCsvFiles, readCsvEvents } from '../../src/replay/csv-events.ts';
import { MessageDecoder } from '../../src/source/decode.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { EventValidator } from '../../src/validation/event.ts';
import { TrackingPlan } from '../../src/validation/tracking-plan.ts';
import { type Collector, startCollector, startSnowplowCollector } from '../helpers/collector.ts';
import {
  eventually,
  type MonitorProcess,
  metricsPortOf,
  metricValue,
  runCli,
  scrape,
  startMonitor,
} from '../helpers/monitor-process.ts';
import { PUFFY_DIR } from '../helpers/reference.ts';
import { clusterRedis, env, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2026-11-20';
const at = (minute: number) => new Date(Date.parse(`${DAY}T09:00:00Z`) + minute * 60_000).toISOString();
const PAGE = {
  url: 'https://shop.example/products/chair?color=blue',
  referrer: 'https://www.google.com/',
  path: '/products/chair',
  search: '?color=blue',
};
const USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';

interface Monitored {
  space: TestSpace;
  monitor: MonitorProcess;
  port: number;
}
const running: Monitored[] = [];
afterAll(async () => {
  for (const { space, monitor } of running) {
    monitor.kill('SIGTERM');
    await monitor.exited;
    await space.cleanup();
  }
});

/** A consumer configured with nothing but the source format. */
async function monitorFor(format: EventFormatName, redisCluster = false): Promise<Monitored> {
  const space = await testSpace(import.meta.filename, { partitions: 3, redisCluster });
  const config = join(mkdtempSync(join(tmpdir(), 'em-formats-')), 'monitor.yaml');
  writeFileSync(config, `source:\n  format: ${format}\n`);
  space.env.MONITOR_CONFIG_FILE = config;
  const monitor = startMonitor(['consume'], space.env);
  const m = { space, monitor, port: await metricsPortOf(monitor) };
  running.push(m);
  return m;
}

/** Until the consumer settled `produced` messages (bounded by what was produced). */
async function settled({ port, monitor }: Monitored, produced: number) {
  const consumed = async () => metricValue(await scrape(port), 'em_messages_consumed_total');
  await eventually(consumed, (n) => n === produced, 120_000).catch((err: Error) => {
    throw new Error(`${err.message}\nmonitor output (tail):\n${monitor.output().slice(-4000)}`);
  });
  return scrape(port);
}

async function dayCounters(space: TestSpace) {
  const r = space.env.REDIS_CLUSTER_NODES ? clusterRedis(space.env.REDIS_CLUSTER_NODES) : redis();
  try {
    return (await new MonitorState(r, space.namespace).days.read(DAY)).counters;
  } finally {
    r.disconnect();
  }
}

/**
 * Once the client resent every failed batch and the consumer settled all that was written:
 * each event counted once, each extra delivery as a duplicate. The day's counters and metrics.
 */
async function countedOnce(m: Monitored, collector: Collector, sent: number) {
  expect(collector.awaitingRetry).toBe(0);
  expect(collector.written).toBeGreaterThan(sent);
  const metrics = await settled(m, collector.written);
  const c = await dayCounters(m.space);
  expect(c.events).toBe(sent);
  expect(c.duplicateEvents).toBe(collector.written - sent);
  return { metrics, c };
}

/** Lines to one partition through kcat, as an outside producer writes them. */
function kcat(topic: string, partition: number, lines: string[]) {
  const run = spawnSync('kcat', ['-P', '-b', env.KAFKA_BROKERS, '-t', topic, '-p', String(partition)], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`kcat failed: ${run.stderr}`);
}

/** A close-out of DAY through the CLI; its JSON report. */
async function closeOutDay(space: TestSpace) {
  const json = join(mkdtempSync(join(tmpdir(), 'em-formats-')), 'report.json');
  const run = await runCli(['closeout', '--date', DAY, '--json', json, '--fail-on', 'never'], space.env);
  expect(run.code, run.output).toBe(0);
  return ReportSchema.parse(JSON.parse(readFileSync(json, 'utf8')));
}

/** A small shop's morning: 20 visitors, page views, carts, checkouts and 3 orders. */
function morning(
  event: (kind: 'page' | 'cart' | 'checkout' | 'order', i: number) => Record<string, unknown>,
) {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    out.push(event('page', i));
    if (i % 4 === 0) out.push(event('cart', i));
    if (i % 5 === 0) out.push(event('checkout', i));
    if (i % 7 === 0) out.push(event('order', i));
  }
  return out;
}

/** Segment spec events as a shop's producer writes them. */
const SEGMENT_EVENTS = {
  format: 'segment' as const,
  trackerVersions: { '5.2.0': 32 } as Record<string, number>,
  idOf: (e: Record<string, unknown>) => e.messageId,
  event: (kind: 'page' | 'cart' | 'checkout' | 'order', i: number): Record<string, unknown> => {
    const base = {
      anonymousId: `anon-${i}`,
      messageId: `msg-${kind}-${i}`,
      timestamp: at(i + (kind === 'page' ? 0 : 1)),
      context: { page: PAGE, userAgent: USER_AGENT, library: { name: 'analytics.js', version: '5.2.0' } },
    };
    if (kind === 'page') return { ...base, type: 'page', properties: { path: PAGE.path } };
    const name = { cart: 'Product Added', checkout: 'Checkout Started', order: 'Order Completed' }[kind];
    const properties =
      kind === 'order' ? { order_id: `O-${i}`, total: 100 + i, currency: 'EUR' } : { product_id: 'chair' };
    return { ...base, type: 'track', event: name, properties };
  },
};

/** Shopify Web Pixels customer events as a custom pixel forwards them. */
const SHOPIFY_EVENTS = {
  format: 'shopify-web-pixels' as const,
  trackerVersions: {} as Record<string, number>,
  idOf: (e: Record<string, unknown>) => e.id,
  event: (kind: 'page' | 'cart' | 'checkout' | 'order', i: number): Record<string, unknown> => {
    const name = {
      page: 'page_viewed',
      cart: 'product_added_to_cart',
      checkout: 'checkout_started',
      order: 'checkout_completed',
    }[kind];
    const data =
      kind === 'order'
        ? { checkout: { order: { id: `O-${i}` }, totalPrice: { amount: 100 + i, currencyCode: 'EUR' } } }
        : kind === 'cart'
          ? { cartLine: { quantity: 1, merchandise: { id: 'chair' } } }
          : {};
    return {
      id: `sh-${kind}-${i}`,
      name,
      type: 'standard',
      clientId: `client-${i}`,
      timestamp: at(i + (kind === 'page' ? 0 : 1)),
      context: {
        document: { location: { href: PAGE.url }, referrer: PAGE.referrer },
        navigator: { userAgent: USER_AGENT },
      },
      data,
    };
  },
};

describe.each([
  { ...SEGMENT_EVENTS, cluster: false },
  { ...SHOPIFY_EVENTS, cluster: false },
  { ...SEGMENT_EVENTS, cluster: true },
])(
  '$format JSON from an outside producer (kcat), some events twice (Redis Cluster: $cluster)',
  ({ format, idOf, event, trackerVersions, cluster }) => {
    it('counts each event once and the extra deliveries as duplicates, with only source.format configured', async () => {
      const m = await monitorFor(format, cluster);
      const events = morning(event);
      const lines = events.map((e) => JSON.stringify(e));
      // every event once, spread over the partitions; then every third again, on another partition
      for (let p = 0; p < 3; p++)
        kcat(
          m.space.topic,
          p,
          lines.filter((_, i) => i % 3 === p),
        );
      const again = lines.filter((_, i) => i % 3 === 0);
      kcat(m.space.topic, 1, again);
      const metrics = await settled(m, lines.length + again.length);

      const c = await dayCounters(m.space);
      expect(c.events).toBe(events.length);
      expect(c.duplicateEvents).toBe(again.length);
      expect(new Set(events.map(idOf)).size).toBe(events.length);
      expect(Object.fromEntries(c.roleEvents)).toEqual({
        pageView: 20,
        addToCart: 5,
        checkoutStarted: 4,
        purchase: 3,
      });
      expect(c.purchases).toBe(3);
      expect(c.revenueCents).toBe((100 + 0 + 100 + 7 + 100 + 14) * 100);
      expect(Object.fromEntries(c.currencyRevenueCents)).toEqual({ EUR: 32100 });
      expect(c.nullClient).toBe(0);
      expect(c.missingFields.size).toBe(0);
      expect(metricValue(metrics, 'em_events_duplicate_total')).toBe(again.length);
      expect(metricValue(metrics, 'em_messages_rejected_total')).toBe(0);

      const report = await closeOutDay(m.space);
      expect(report.metrics).toMatchObject({
        event_count: events.length,
        duplicate_events: again.length,
        conversions: 3,
        revenue: 321,
        revenue_by_currency: { EUR: 321 },
        clients: 20,
      });
      expect(report.metrics.channel_share).toEqual({ 'Organic Search': 1 });
      expect(report.metrics.tracker_versions).toEqual(trackerVersions);
      expect(report.alerts.find((a) => a.check === 'duplicate_events')).toMatchObject({
        severity: 'WARNING',
      });
    });
  },
);

describe("the vendors' own Node clients, through a collector that writes to Kafka", () => {
  let collector: Collector | undefined;
  afterAll(async () => {
    await collector?.close();
  });

  const track = (i: number) => ({
    anonymousId: `anon-${i}`,
    timestamp: new Date(at(i)),
    context: { page: PAGE, userAgent: USER_AGENT },
  });

  /** page() and track() as both clients take them, each settled when its batch was delivered. */
  interface Client {
    page(message: Record<string, unknown>, done: (err?: unknown) => void): void;
    track(message: Record<string, unknown>, done: (err?: unknown) => void): void;
  }

  it.each([
    {
      client: '@segment/analytics-node',
      connect: (url: string) => {
        const analytics = new Analytics({
          writeKey: 'test',
          host: url,
          flushAt: 5,
          flushInterval: 50,
          maxRetries: 5,
        });
        return {
          client: analytics as unknown as Client,
          close: () => analytics.closeAndFlush({ timeout: 60_000 }),
        };
      },
    },
    {
      client: '@rudderstack/rudder-sdk-node',
      connect: (url: string) => {
        const rudder = new RudderAnalytics('test', {
          dataPlaneUrl: url,
          flushAt: 5,
          flushInterval: 50,
          retryCount: 5,
          logLevel: 'error',
        });
        return { client: rudder as unknown as Client, close: async () => {} };
      },
    },
  ])('$client: every event counted exactly, retried batches once', async ({ connect }) => {
    const m = await monitorFor('segment');
    collector = await startCollector(m.space.topic, { answerFailureAfterWriting: 2 });
    const { client, close } = connect(collector.url);
    const delivered: Promise<void>[] = [];
    const call = (kind: 'page' | 'track', message: Record<string, unknown>) =>
      delivered.push(
        new Promise((resolve, reject) => client[kind](message, (err) => (err ? reject(err) : resolve()))),
      );
    for (let i = 0; i < 12; i++) {
      call('page', { ...track(i), name: 'Chair', properties: { path: PAGE.path } });
      if (i % 3 === 0)
        call('track', { ...track(i), event: 'Product Added', properties: { product_id: 'chair' } });
      if (i % 4 === 0) {
        call('track', {
          ...track(i),
          event: 'Order Completed',
          properties: { order_id: `O-${i}`, revenue: 50, currency: 'USD' },
        });
      }
    }
    await Promise.all(delivered);
    await close();
    const sent = 12 + 4 + 3;
    // the first two batches were written and then answered with an error: the client sent them again
    const { metrics, c } = await countedOnce(m, collector, sent);
    expect(Object.fromEntries(c.roleEvents)).toEqual({ pageView: 12, addToCart: 4, purchase: 3 });
    expect(c.revenueCents).toBe(3 * 5000);
    expect(metricValue(metrics, 'em_messages_rejected_total')).toBe(0);
    await collector.close();
    collector = undefined;
  });
});

describe('@snowplow/node-tracker, through a collector and an Enrich stand-in that write to Kafka', () => {
  it('every event counted exactly, retried requests once', async () => {
    const m = await monitorFor('snowplow');
    const collector = await startSnowplowCollector(m.space.topic, { answerFailureAfterWriting: 2 });
    try {
      const tracker = newTracker(
        { namespace: 'shop', appId: 'shop', encodeBase64: false },
        {
          endpoint: collector.url.replace('http://', ''),
          protocol: 'http',
          eventMethod: 'post',
          bufferSize: 4,
        },
      );
      tracker.setUseragent(USER_AGENT);
      let sent = 0;
      for (let i = 0; i < 12; i++) {
        tracker.setDomainUserId(`duid-${i}`);
        tracker.track(buildPageView({ pageUrl: PAGE.url, referrer: PAGE.referrer }), [], Date.parse(at(i)));
        sent++;
        if (i % 4 === 0) {
          tracker.track(
            buildEcommerceTransaction({ orderId: `O-${i}`, total: 60, currency: 'GBP' }),
            [],
            Date.parse(at(i)),
          );
          sent++;
        }
      }
      // the tracker retries a failed request with a later one: flush until every event was
      // written and each one of a failed request again (bounded by what was sent)
      for (let tries = 0; tries < 20 && (collector.written < sent || collector.awaitingRetry > 0); tries++)
        await tracker.flush();
      const { metrics, c } = await countedOnce(m, collector, sent);
      expect(Object.fromEntries(c.roleEvents)).toEqual({ pageView: 12, purchase: 3 });
      expect(Object.fromEntries(c.currencyRevenueCents)).toEqual({ GBP: 3 * 6000 });
      expect(c.nullClient).toBe(0);
      expect(metricValue(metrics, 'em_messages_rejected_total')).toBe(0);
    } finally {
      await collector.close();
    }
  });
});

describe('plan infer --from-topic: a draft plan from a bounded read of the events topic, in each format', () => {
  it.each([
    { format: 'segment' as const, names: ['page', 'Product Added', 'Checkout Started', 'Order Completed'] },
    {
      format: 'shopify-web-pixels' as const,
      names: ['page_viewed', 'product_added_to_cart', 'checkout_started', 'checkout_completed'],
    },
    { format: 'snowplow' as const, names: ['page_view', 'add_to_cart', 'checkout_step', 'transaction'] },
  ])(
    '$format: drafts every event name, and the events it read satisfy the draft',
    async ({ format, names }) => {
      const space = await testSpace(import.meta.filename, { partitions: 3 });
      try {
        const dir = mkdtempSync(join(tmpdir(), 'em-plan-'));
        const config = join(dir, 'monitor.yaml');
        writeFileSync(config, `source:\n  format: ${format}\n`);
        const env = { ...space.env, MONITOR_CONFIG_FILE: config };
        const day = listCsvFiles([PUFFY_DIR]).find((f) => f.endsWith('20250301.csv'))!;
        const sent = await runCli(['replay', day], env);
        expect(sent.code, sent.output).toBe(0);
        expect(sent.output).toContain(`as ${format} json`);

        const infer = await runCli(['plan', 'infer', '--from-topic', '--plan-version', 'draft-1'], env);
        expect(infer.code, infer.output).toBe(0);
        const yamlText = infer.output.slice(0, infer.output.indexOf('plan infer: drafted'));
        const file = join(dir, 'plan.yml');
        writeFileSync(file, yamlText);
        const rows: Parameters<(typeof CONVERTERS)['flat']>[0][] = [];
        for await (const r of readCsvEvents(day, () => {})) rows.push(r);
        expect(infer.output).toContain(`plan infer: drafted from ${rows.length} events`);

        const plan = TrackingPlan.load(file);
        expect(plan.plannedNames).toEqual(expect.arrayContaining(names));
        const c = parseMonitorConfig({ source: { format } });
        const decoder = new MessageDecoder(undefined, c.ingest.maxMessageBytes, c.source.payload);
        const validator = new EventValidator(c.ingest, plan, c.source);
        for (const row of rows) {
          const value = Buffer.from(CONVERTERS[format](row));
          const decoded = decoder.decodePlain(value);
          if (!decoded.ok) throw new Error(decoded.detail);
          const v = validator.validate(decoded.value, Date.parse('2025-03-10T00:00:00Z'));
          expect(v.ok && v.event.contract).toBe(null);
        }
      } finally {
        await space.cleanup();
      }
    },
  );
});
