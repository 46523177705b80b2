/**
 * `dlq summary --show-values FILE`: the dead letters' keys and values, for the
 * operator who must see what a sender sent. Values hold personal data, so they
 * go only to a file the operator names, created readable by its owner alone,
 * one JSON line per dead letter; never to the terminal or the log.
 */
import { closeSync, existsSync, fchmodSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { DLQ_HEADERS } from './dead-letter.ts';
import type { TopicRecord } from './topic-reader.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text when the bytes are UTF-8, else base64 (a not_utf8 or wire-format value). */
function bytesOf(b: Buffer | null): { text: string } | { base64: string } | null {
  if (b === null) return null;
  try {
    return { text: utf8.decode(b) };
  } catch {
    return { base64: b.toString('base64') };
  }
}

const notAFile = (path: string) =>
  new UsageError(`--show-values writes to a regular file, never to a terminal, pipe or device (${path})`);

export class DeadLetterValueFile {
  private readonly fd: number;
  private closed = false;
  written = 0;

  constructor(readonly path: string) {
    // a terminal, a pipe or a device (/dev/stdout, /proc/self/fd/1, …) is refused before it is opened
    if (existsSync(path) && !statSync(path).isFile()) throw notAFile(path);
    this.fd = openSync(path, 'w', 0o600);
    if (!fstatSync(this.fd).isFile()) {
      closeSync(this.fd);
      throw notAFile(path);
    }
    // the mode only applies to a file this call created: tighten one that existed
    fchmodSync(this.fd, 0o600);
  }

  add(r: TopicRecord) {
    const h = r.headers;
    const line = {
      source: `${h[DLQ_HEADERS.topic] ?? '?'}/${h[DLQ_HEADERS.partition] ?? '?'}/${h[DLQ_HEADERS.offset] ?? '?'}`,
      reason: h[DLQ_HEADERS.reason] ?? 'unknown',
      detail: h[DLQ_HEADERS.detail] ?? '',
      key: bytesOf(r.key),
      value: bytesOf(r.value),
    };
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.written++;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
