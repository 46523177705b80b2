/**
 * Sender text (event names, field names, header names) is data, never a key
 * into a plain object: `constructor`, `toString` or `__proto__` must count like
 * any other name. A scan of src/ keeps plain-object dictionaries out, and a
 * property drives such names through the pure pipeline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordOf } from '../../../src/aggregation/day-counters.ts';
import { BatchDeltas } from '../../../src/aggregation/day-delta.ts';
import { boundNames } from '../../../src/closeout/sender-names.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { copyableHeaders, DLQ_HEADERS, KafkaDeadLetterSink } from '../../../src/source/dead-letter.ts';
import { encodeDelta } from '../../../src/state/counter-codec.ts';
import { EventValidator } from '../../../src/validation/event.ts';

const SRC = join(import.meta.dirname, '../../../src');
const BUILT_IN_NAMES = Object.getOwnPropertyNames(Object.prototype);
const config = parseMonitorConfig({});
const validator = new EventValidator(config.ingest);
const NOW = Date.parse('2025-03-01T12:00:00Z');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('no dictionary on a plain object in src/', () => {
  it('builds records keyed by names with dictionary(), never `Record<string, …> = {}`', () => {
    const offenders = sources(SRC).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /Record<string, [^>]+> = \{\}/.test(line) ? [`${file.slice(SRC.length + 1)}:${i + 1}`] : [],
        ),
    );
    expect(offenders).toEqual([]);
  });
});

describe('names from Object.prototype through validation, folding and encoding', () => {
  const name = fc.oneof(fc.constantFrom(...BUILT_IN_NAMES), fc.string({ minLength: 1, maxLength: 20 }));

  it('counts every event under its own name, and nothing throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: name, field: name }), { minLength: 1, maxLength: 30 }),
        (events) => {
          const deltas = new BatchDeltas({ channels: config.channels });
          for (const e of events) {
            const raw = JSON.parse(
              `{${JSON.stringify(e.field)}: 1, "client_id": "c", "timestamp": "2025-03-01T10:00:00Z", "event_name": ${JSON.stringify(e.event)}}`,
            ) as Record<string, unknown>;
            const v = validator.validate(raw, NOW);
            if (!v.ok) throw new Error(`rejected: ${v.reason}`);
            deltas.for('2025-03-01').addAccepted(v.event, null);
          }
          const delta = deltas.for('2025-03-01');
          expect(() => encodeDelta(delta)).not.toThrow();
          const expected = new Map<string, number>();
          for (const e of events) expected.set(e.event, (expected.get(e.event) ?? 0) + 1);
          expect(new Map(delta.counters.eventNames)).toEqual(expected);
          const bounded = boundNames(recordOf(delta.counters.eventNames), {
            keep: new Set(expected.keys()),
            looksLikeName: () => true,
            top: 0,
          });
          for (const [n, count] of expected)
            expect(Object.getOwnPropertyDescriptor(bounded, n)?.value).toBe(count);
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  });
});

describe('dead-letter headers', () => {
  it('copies own string and Buffer values, and keeps every original in one header when any could not be', () => {
    // as kafkajs decodes them: a null value, and names merged with the members a plain object inherits
    const headers = {
      plain: Buffer.from('a'),
      'x-null': null,
      toString: [Object.prototype.toString, Buffer.from('y')],
      ['__proto__']: [Object.prototype, Buffer.from('x')],
      [DLQ_HEADERS.reason]: 'spoofed',
    } as unknown as Record<string, Buffer>;
    const { copied, original } = copyableHeaders(headers);
    expect(Object.getPrototypeOf(copied)).toBeNull();
    expect(Object.keys(copied).sort()).toEqual(['__proto__', 'plain', 'toString']);
    expect(copied.toString).toEqual(Buffer.from('y'));
    expect(JSON.parse(original!)).toEqual([
      ['plain', 'YQ=='],
      ['x-null', null],
      ['toString', 'eQ=='],
      ['__proto__', 'eA=='],
      [DLQ_HEADERS.reason, Buffer.from('spoofed').toString('base64')],
    ]);
    const record = KafkaDeadLetterSink.recordOf({
      message: { offset: '7', timestamp: '1', key: null, value: Buffer.from('v'), headers },
      topic: 't',
      partition: 0,
      reason: 'not_json',
      detail: 'd',
      day: '2025-03-01',
    });
    // ours win over a sender's header of the same name
    expect(record.headers?.[DLQ_HEADERS.reason]).toBe('not_json');
  });

  it('adds nothing when every header copies as it was', () => {
    expect(copyableHeaders({ a: 'x', b: [Buffer.from('1'), '2'] })).toEqual({
      copied: expect.objectContaining({ a: 'x', b: [Buffer.from('1'), '2'] }),
    });
  });
});
