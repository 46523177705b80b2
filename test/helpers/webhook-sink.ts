/**
 * A local HTTP server standing in for Slack and PagerDuty: it receives the
 * real payloads, records them, and answers as the services do.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  body: unknown;
}

export async function startWebhookSink() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      let body: unknown = data;
      try {
        body = JSON.parse(data);
      } catch {
        // keep the raw text
      }
      received.push({ path: req.url ?? '/', body });
      if (req.url?.startsWith('/pagerduty')) {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', message: 'Event processed' }));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    url: (path: string) => `${base}${path}`,
    on: (prefix: string) => received.filter((r) => r.path.startsWith(prefix)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
