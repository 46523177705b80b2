/**
 * One poison message must never stop a partition. Through the real broker:
 * the values that used to stall a partition (an event name cut inside an
 * emoji, lone surrogates in a client id, a transaction id, a field name and a
 * utm_source) among valid events on one partition, with a consumer killed
 * mid-stream. At the batch level, on real Redis and the real apply script: a
 * message the state refuses is found by splitting the batch, dead-lettered as
 * apply_error, and the rest applied exactly once, across a crash mid-isolation.
 */
import type { Message } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { DependencyUnavailableError, isRetriable } from '../../src/errors.ts';
import { BatchProcessor } from '../../src/ingest/batch-processor.ts';
import { MessageDecoder } from '../../src/source/decode.ts';
import type { DeadLetter, DeadLetterSink, IncomingMessage } from '../../src/source/messages.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { LeakyValidator } from '../helpers/leaky-validator.ts';
import { eventually, type MonitorProcess, startMonitor } from '../helpers/monitor-process.ts';
import { produce, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

const DAY = '2025-03-01';
const TS = `${DAY}T10:00:00.000Z`;
const event = (i: number, over: Record<string, unknown> = {}) => ({
  client_id: `c-${i % 50}`,
  page_url: 'https://puffy.com/',
  referrer: null,
  timestamp: TS,
  event_name: 'page_viewed',
  event_data: null,
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36',
  ...over,
});
/** JSON text with escaped lone surrogates, as a hostile sender writes it (JSON.stringify would too). */
const text = (value: Record<string, unknown>) => JSON.stringify(value);

const POISONS: Record<string, unknown>[] = [
  event(1, { event_name: `${'a'.repeat(63)}😀` }),
  event(2, { client_id: '\ud800' }),
  event(3, {
    event_name: 'checkout_completed',
    event_data: JSON.stringify({ transaction_id: 'T-\udfff', revenue: 12.5 }),
  }),
  { ...event(4), [`${'f'.repeat(63)}😀`]: 'x', '\ud83d': 'y' },
  event(5, { page_url: `https://puffy.com/?utm_source=${'s'.repeat(39)}${encodeURIComponent('😀')}` }),
];

const spaces: TestSpace[] = [];
const processes: MonitorProcess[] = [];
afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.kill('SIGKILL');
  for (const s of spaces) await s.cleanup();
});

async function dayCounters(namespace: string) {
  const r = redis();
  try {
    return (await new MonitorState(r, namespace).days.read(DAY)).counters;
  } finally {
    r.disconnect();
  }
}

describe('poison through the real broker', () => {
  it('applies the valid events around each poison exactly once, across a SIGKILL, and settles every message', async () => {
    const s = await testSpace(`${import.meta.filename}-broker`, { partitions: 1 });
    spaces.push(s);
    // 2,000 valid events with the poisons spread among them, in two phases on one partition
    const values: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      values.push(text(event(i)));
      if (i % 400 === 200) values.push(text(POISONS[(i - 200) / 400]!));
    }
    const messages: Message[] = values.map((value) => ({
      key: null,
      value,
      timestamp: String(Date.parse(TS)),
    }));
    const half = messages.length >> 1;
    await produce(s.topic, messages.slice(0, half));
    const env = { ...s.env, KAFKA_MAX_BYTES_PER_PARTITION: '1048576', KAFKA_COMMIT_INTERVAL_MS: '600000' };
    const first = startMonitor(['consume'], env);
    processes.push(first);
    await eventually(
      async () => (await dayCounters(s.namespace)).events ?? 0,
      (n) => n > 0,
      60_000,
    );
    first.kill('SIGKILL'); // nothing committed: all it applied comes again
    await first.exited;
    await produce(s.topic, messages.slice(half));
    const last = startMonitor(['consume', '--exit-when-idle', '2'], env);
    processes.push(last);
    expect(await last.exited).toBe(0);

    const c = await dayCounters(s.namespace);
    const rejected = [...c.rejected.values()].reduce((n, v) => n + v, 0);
    expect(c.events + rejected).toBe(messages.length);
    expect(c.events).toBe(messages.length); // every poison was made safe and accepted
    expect(c.eventNames.get('a'.repeat(63))).toBe(1); // the name cut before the emoji, not inside it
    expect(c.purchases).toBe(1);
    expect(c.revenueCents).toBe(1250);
    expect(last.output()).not.toContain('batch not applied');
  });
});

describe('poison isolation at the batch level, on real Redis', () => {
  class RecordingSink implements DeadLetterSink {
    readonly records: DeadLetter[] = [];
    failAfter = Number.POSITIVE_INFINITY;
    async send(records: DeadLetter[]) {
      if (this.records.length >= this.failAfter) {
        throw new DependencyUnavailableError('kafka', 'dead-letter topic unavailable');
      }
      this.records.push(...records);
    }
  }
  const message = (offset: number, over: Record<string, unknown> = {}): IncomingMessage => ({
    offset: String(offset),
    timestamp: String(Date.parse(TS)),
    key: null,
    value: Buffer.from(text(event(offset, over))),
  });
  const batch = () =>
    Array.from({ length: 40 }, (_, i) => message(i, i === 7 || i === 30 ? { event_name: 'poison' } : {}));

  async function setup(name: string) {
    const s = await testSpace(`${import.meta.filename}-${name}`, { createTopic: false });
    spaces.push(s);
    const r = redis();
    const state = new MonitorState(r, s.namespace);
    const processor = (sink: DeadLetterSink, redisState = state) =>
      new BatchProcessor({
        namespace: s.namespace,
        decoder: new MessageDecoder(undefined, s.ctx.config.ingest.maxMessageBytes),
        validator: new LeakyValidator(s.ctx.config.ingest),
        days: s.ctx.days,
        state: redisState.days,
        channels: s.ctx.config.channels,
        deadLetters: sink,
      });
    return { s, r, state, processor };
  }

  it('finds each refused message, dead-letters it as apply_error and applies the rest once', async () => {
    const { r, state, processor } = await setup('isolate');
    const sink = new RecordingSink();
    const p = processor(sink);
    await expect(p.process('t', 0, batch())).rejects.toMatchObject({ retriable: false, system: 'message' });

    expect(await p.processIsolatingPoison('t', 0, batch())).toEqual({
      accepted: 38,
      rejected: 2,
      skipped: 0,
    });
    const refused = sink.records.map((d) => [d.message.offset, d.reason, d.detail]);
    expect(refused).toEqual([
      ['7', 'apply_error', 'the state refused this message twice (StateRejectedError:ERR)'],
      ['30', 'apply_error', 'the state refused this message twice (StateRejectedError:ERR)'],
    ]);
    const c = (await state.days.read(DAY)).counters;
    expect(c.events).toBe(38);
    expect(c.rejected.get('apply_error')).toBe(2);

    // redelivered after a crash: nothing changes, nothing is dead-lettered again
    const again = new RecordingSink();
    expect(await processor(again).processIsolatingPoison('t', 0, batch())).toMatchObject({
      accepted: 0,
      rejected: 0,
    });
    expect(again.records).toHaveLength(0);
    expect((await state.days.read(DAY)).counters).toEqual(c);
    r.disconnect();
  });

  it('a crash in the middle of the isolation changes no count', async () => {
    const { r, state, processor } = await setup('isolate-crash');
    const sink = new RecordingSink();
    sink.failAfter = 1; // the second poison's dead letter cannot be written: the isolation stops half-way
    const err = await processor(sink)
      .processIsolatingPoison('t', 0, batch())
      .catch((e: unknown) => e);
    expect(isRetriable(err)).toBe(true);
    const halfway = (await state.days.read(DAY)).counters;
    expect(halfway.events).toBeGreaterThan(0);
    expect(halfway.events).toBeLessThan(38);

    // the batch comes again to a new consumer, which finishes the job
    const heir = new RecordingSink();
    await processor(heir).processIsolatingPoison('t', 0, batch());
    const c = (await state.days.read(DAY)).counters;
    expect(c.events).toBe(38);
    expect(c.rejected.get('apply_error')).toBe(2);
    expect(heir.records.map((d) => d.message.offset)).toEqual(['30']);
    r.disconnect();
  });

  it('never isolates when Redis is unavailable: the whole batch is retried, nothing dead-lettered', async () => {
    const { s, r, processor } = await setup('unavailable');
    const down = redis('redis://127.0.0.1:1');
    down.on('error', () => {});
    const sink = new RecordingSink();
    const err = await processor(sink, new MonitorState(down, s.namespace))
      .processIsolatingPoison('t', 0, batch())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err).toMatchObject({ retriable: true, system: 'redis' });
    expect(sink.records).toHaveLength(0);
    down.disconnect();
    r.disconnect();
  });
});
