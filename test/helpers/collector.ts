/**
 * A local stand-in for Segment's or RudderStack's collection API: it takes the
 * batches their server-side SDKs post (/v1/batch, JSON, gzip or not) and
 * writes each event to Kafka as one JSON message keyed by its anonymousId,
 * as their Kafka destinations do. `answerFailureAfterWriting` makes the first
 * N batches fail after their events were written (a response lost on the
 * way back): the SDK retries them, and the topic holds those events twice,
 * with the same messageId.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { produce } from './stack.ts';

export interface Collector {
  url: string;
  /** Batches received (retries included) and events written to the topic. */
  batches: number;
  written: number;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let body = Buffer.concat(chunks);
  if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  return JSON.parse(body.toString('utf8'));
}

export async function startCollector(
  topic: string,
  options: { answerFailureAfterWriting?: number } = {},
): Promise<Collector> {
  let failuresLeft = options.answerFailureAfterWriting ?? 0;
  const state = { batches: 0, written: 0 };
  const server: Server = createServer((req, res) => {
    bodyOf(req)
      .then(async (body) => {
        const batch = (body as { batch?: Record<string, unknown>[] }).batch ?? [];
        state.batches++;
        await produce(
          topic,
          batch.map((e) => ({
            key: typeof e.anonymousId === 'string' ? e.anonymousId : null,
            value: JSON.stringify(e),
          })),
        );
        state.written += batch.length;
        if (failuresLeft > 0) {
          failuresLeft--;
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
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
