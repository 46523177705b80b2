/**
 * POST JSON with a few retries. Errors name the sink, never its URL: webhook
 * URLs and keys are secrets.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

export async function postJson(sink: string, url: string, body: unknown, attempts = 3): Promise<void> {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break; // a client error will not fix itself
    } catch (err) {
      last = (err as Error).name === 'TimeoutError' ? 'timed out' : 'connection failed';
    }
    await new Promise((r) => setTimeout(r, 300 * 2 ** i));
  }
  throw new DeliveryError(`${sink}: delivery failed (${last})`);
}
