/**
 * A local stand-in for Segment's or RudderStack's collection API: it takes the
 * batches their server-side SDKs post (/v1/batch, JSON, gzip or not) and
 * writes each event to Kafka as one JSON message keyed by its anonymousId,
 * as their Kafka destinations do; and Snowplow's collector with Enrich.
 * `answerFailureAfterWriting` makes the first N batches fail after their
 * events were written (a response lost on the way back): the client retries
 * them, and the topic holds those events twice, with the same event id.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Message } from 'kafkajs';
import { formatEnrichedEvent } from '../../src/source/snowplow-tsv.ts';
import { produce } from './stack.ts';

export interface Collector {
  url: string;
  /** Batches received (retries included) and events written to the topic. */
  batches: number;
  written: number;
  /** Events of batches answered with an error that the client has not sent again yet. */
  awaitingRetry: number;
  close(): Promise<void>;
}

/** The ids of failed batches' events, until each arrives again. */
class RetryLedger {
  private readonly awaited = new Set<string>();
  failed(ids: string[]) {
    for (const id of ids) this.awaited.add(id);
  }
  received(ids: string[]) {
    for (const id of ids) this.awaited.delete(id);
  }
  get size() {
    return this.awaited.size;
  }
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  return JSON.parse(body.toString('utf8'));
}

/** What a collector makes of one request: the Kafka messages to write and the ids of their events. */
type BatchReader = (body: unknown) => { messages: Message[]; ids: string[] };

/**
 * An HTTP endpoint that writes each request's events to the topic, then
 * answers; the first `answerFailureAfterWriting` requests are answered with an
 * error after their events were written.
 */
async function startHttpCollector(
  topic: string,
  options: { answerFailureAfterWriting?: number },
  read: BatchReader,
): Promise<Collector> {
  let failuresLeft = options.answerFailureAfterWriting ?? 0;
  const state = { batches: 0, written: 0 };
  const ledger = new RetryLedger();
  const server: Server = createServer((req, res) => {
    bodyOf(req)
      .then(async (body) => {
        const { messages, ids } = read(body);
        state.batches++;
        await produce(topic, messages);
        state.written += messages.length;
        ledger.received(ids);
        if (failuresLeft > 0) {
          failuresLeft--;
          ledger.failed(ids);
          res.writeHead(503).end('{"error":"try again"}');
        } else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch((err: Error) => res.writeHead(400).end(err.message));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get batches() {
      return state.batches;
    },
    get written() {
      return state.written;
    },
    get awaitingRetry() {
      return ledger.size;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Segment's and RudderStack's batch API (/v1/batch): each event as JSON, keyed by its anonymousId. */
export function startCollector(topic: string, options: { answerFailureAfterWriting?: number } = {}) {
  return startHttpCollector(topic, options, (body) => {
    const batch = (body as { batch?: Record<string, unknown>[] }).batch ?? [];
    return {
      messages: batch.map((e) => ({
        key: typeof e.anonymousId === 'string' ? e.anonymousId : null,
        value: JSON.stringify(e),
      })),
      ids: batch.map((e) => String(e.messageId)),
    };
  });
}

/** Epoch ms as an enriched event's timestamp text ("2025-03-01 10:00:00.000"). */
const tstamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Tracker protocol event types, as Enrich names them. */
const SNOWPLOW_EVENTS: Record<string, string> = {
  pv: 'page_view',
  tr: 'transaction',
  pp: 'page_ping',
  se: 'event',
};

/**
 * One tracker payload (Snowplow's tracker protocol: e, eid, dtm, duid, url, ...)
 * as the enriched event Enrich would write for it, the fields the monitor maps
 * and a few more; a stand-in for Enrich, which is not in this workplace.
 */
export function enrich(p: Record<string, string>, collectorMs: number): string {
  const created = Number(p.dtm ?? collectorMs);
  let event = SNOWPLOW_EVENTS[p.e ?? ''] ?? 'unstruct';
  let name = event;
  if (p.e === 'ue' && p.ue_pr) {
    const schema = (JSON.parse(p.ue_pr) as { data?: { schema?: string } }).data?.schema ?? '';
    name = /\/([a-zA-Z0-9_-]+)\/jsonschema\//.exec(schema)?.[1] ?? 'unstruct';
    event = 'unstruct';
  }
  return formatEnrichedEvent({
    app_id: p.aid,
    platform: p.p,
    collector_tstamp: tstamp(collectorMs),
    dvce_created_tstamp: tstamp(created),
    derived_tstamp: tstamp(created),
    event,
    event_id: p.eid,
    name_tracker: p.tna,
    v_tracker: p.tv,
    v_collector: 'test-collector',
    v_etl: 'test-enrich',
    user_id: p.uid,
    domain_userid: p.duid,
    page_url: p.url,
    page_referrer: p.refr,
    useragent: p.ua,
    tr_orderid: p.tr_id,
    tr_total: p.tr_tt,
    tr_currency: p.tr_cu,
    unstruct_event: p.ue_pr,
    event_vendor: 'com.snowplowanalytics.snowplow',
    event_name: name,
    event_format: 'jsonschema',
  });
}

/**
 * A Snowplow collector and Enrich in one, for @snowplow/node-tracker: takes its
 * POSTs (/com.snowplowanalytics.snowplow/tp2, a payload_data batch) and writes
 * each event to Kafka as an enriched TSV line keyed by its domain_userid, as
 * Enrich's Kafka sink does. `answerFailureAfterWriting` as for startCollector.
 */
export function startSnowplowCollector(topic: string, options: { answerFailureAfterWriting?: number } = {}) {
  return startHttpCollector(topic, options, (body) => {
    const batch = (body as { data?: Record<string, string>[] }).data ?? [];
    const now = Date.now();
    return {
      messages: batch.map((p) => ({ key: p.duid ?? null, value: enrich(p, now) })),
      ids: batch.map((p) => String(p.eid)),
    };
  });
}
