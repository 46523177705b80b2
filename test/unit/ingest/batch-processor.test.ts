/**
 * The batch processor's orchestration through its ports, fast: real decoding,
 * validation and folding, the state port in memory (test/helpers/memory-day-state.ts).
 * Every message ends accepted or rejected, dead letters go out before the
 * apply, a redelivery changes no count, another consumer's progress is
 * respected, and an event id the day already counted is a duplicate.
 */
import { describe, expect, it } from 'vitest';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';
import { parseMonitorConfig } from '../../../src/config/monitor-config.ts';
import { BatchProcessor } from '../../../src/ingest/batch-processor.ts';
import { MessageDecoder } from '../../../src/source/decode.ts';
import type { DeadLetter, IncomingMessage } from '../../../src/source/messages.ts';
import { EventValidator } from '../../../src/validation/event.ts';
import { MemoryDayState } from '../../helpers/memory-day-state.ts';

const NOW = Date.parse('2025-03-02T00:00:00Z');
const DAY = '2025-03-01';

function processorFor(format: 'flat' | 'segment' = 'flat') {
  const config = parseMonitorConfig({ source: { format } });
  const state = new MemoryDayState();
  const deadLetters: DeadLetter[] = [];
  const processor = new BatchProcessor({
    namespace: 'unit',
    decoder: new MessageDecoder(undefined, config.ingest.maxMessageBytes, config.source.payload),
    validator: new EventValidator(config.ingest, null, config.source),
    days: new DayResolver('UTC'),
    state,
    channels: config.channels,
    traffic: config.traffic,
    deadLetters: {
      async send(records) {
        state.calls.push('deadLetters');
        deadLetters.push(...records);
      },
    },
    now: () => NOW,
  });
  return { processor, state, deadLetters };
}

const message = (offset: number, value: unknown): IncomingMessage => ({
  offset: String(offset),
  timestamp: String(Date.parse(`${DAY}T12:00:00Z`)),
  key: null,
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});
const flat = (offset: number) =>
  message(offset, {
    client_id: `c${offset % 7}`,
    page_url: 'https://shop.example/',
    referrer: null,
    timestamp: `${DAY}T12:${String(offset % 60).padStart(2, '0')}:00Z`,
    event_name: 'page_viewed',
    event_data: null,
    user_agent: 'Mozilla/5.0',
  });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the batch processor, through its ports', () => {
  it('ends every message accepted or rejected with a reason, the dead letters sent before the apply', async () => {
    const { processor, state, deadLetters } = processorFor();
    const messages = [flat(0), message(1, 'not json'), flat(2), message(3, { event_name: 'x' }), flat(4)];
    const outcome = await processor.process('events', 0, messages);
    expect(outcome).toEqual({ accepted: 3, rejected: 2, skipped: 0 });
    expect(deadLetters.map((d) => [d.message.offset, d.reason])).toEqual([
      ['1', 'not_json'],
      ['3', 'timestamp_missing'],
    ]);
    expect(state.calls.indexOf('deadLetters')).toBeLessThan(state.calls.indexOf('applyMany'));
    expect(state.day(DAY).events).toBe(3);
  });

  it('a redelivered batch changes no count and sends no dead letter twice', async () => {
    const { processor, state, deadLetters } = processorFor();
    const batch = [...range(0, 10).map(flat), message(10, 'not json')];
    await processor.process('events', 0, batch);
    const again = await processor.process('events', 0, batch);
    expect(again.accepted).toBe(0);
    expect(again.skipped).toBeGreaterThan(0);
    expect(state.day(DAY).events).toBe(10);
    expect(deadLetters).toHaveLength(1);
  });

  it('a batch overlapping what was applied counts only what is new', async () => {
    const { processor, state } = processorFor();
    await processor.process('events', 0, range(0, 10).map(flat));
    await processor.process('events', 0, range(5, 15).map(flat));
    expect(state.day(DAY).events).toBe(15);
  });

  it("another consumer's progress on the partition (a rebalance) is read back, not overwritten", async () => {
    const { processor, state } = processorFor();
    await processor.process('events', 0, range(0, 5).map(flat));
    // meanwhile another member applied offsets 5…9 of the same partition
    const other = processorFor();
    other.state.days.set(DAY, state.day(DAY));
    await other.processor.process('events', 0, range(5, 10).map(flat));
    expect(state.day(DAY).events).toBe(10);
    // this member, not told of the rebalance, gets 5…14: its cached watermark is stale
    await processor.process('events', 0, range(5, 15).map(flat));
    expect(state.day(DAY).events).toBe(15);
    expect(state.day(DAY).watermarks.get('events/0')).toBe(14);
  });

  it('an event id the day already counted is a duplicate: counted once, the rest of the batch applied', async () => {
    const { processor, state } = processorFor('segment');
    const segment = (offset: number, id: string) =>
      message(offset, {
        type: 'page',
        messageId: id,
        anonymousId: `a${offset}`,
        timestamp: `${DAY}T12:00:0${offset % 10}Z`,
        context: { page: { url: 'https://shop.example/' } },
      });
    await processor.process('events', 0, [segment(0, 'm0'), segment(1, 'm1')]);
    // a producer's retry of m1, on another partition, with a new event
    const outcome = await processor.process('events', 1, [segment(0, 'm1'), segment(1, 'm2')]);
    expect(outcome).toEqual({ accepted: 2, rejected: 0, skipped: 0 });
    expect(state.day(DAY).events).toBe(3);
    expect(state.day(DAY).duplicateEvents).toBe(1);
  });
});
