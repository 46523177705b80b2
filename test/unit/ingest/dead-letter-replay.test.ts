import { describe, expect, it } from 'vitest';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';
import { replayTargetOf } from '../../../src/ingest/dead-letter-replay.ts';
import { DLQ_HEADERS } from '../../../src/source/dead-letter.ts';

const days = new DayResolver('Europe/Berlin');
const TS = Date.parse('2025-03-01T23:30:00Z'); // 00:30 on 03-02 in Berlin

const record = (headers: Record<string, string | undefined>) => ({
  key: Buffer.from('c-1'),
  value: Buffer.from('{"event_name":"page_viewed"}'),
  timestamp: String(TS),
  headers: {
    traceparent: 'keep-me',
    [DLQ_HEADERS.reason]: 'contract_violation',
    [DLQ_HEADERS.detail]: 'breaks the tracking plan at /event_name (unplanned_event)',
    [DLQ_HEADERS.topic]: 'events.raw',
    [DLQ_HEADERS.partition]: '3',
    [DLQ_HEADERS.offset]: '1234',
    [DLQ_HEADERS.timestamp]: String(TS),
    [DLQ_HEADERS.contractEvent]: 'coupon_applied',
    ...headers,
  },
});

describe('dead-letter replay target', () => {
  it('is the original message at its source coordinates, without the dead-letter headers', () => {
    const t = replayTargetOf(record({ [DLQ_HEADERS.day]: '2025-03-01' }), days);
    expect(t).toEqual({
      topic: 'events.raw',
      partition: 3,
      source: 'events.raw/3/1234',
      message: {
        offset: '1234',
        timestamp: String(TS),
        key: Buffer.from('c-1'),
        value: Buffer.from('{"event_name":"page_viewed"}'),
        headers: { traceparent: 'keep-me' },
      },
      retraction: { day: '2025-03-01', reason: 'contract_violation', planRejectedEvent: 'coupon_applied' },
    });
  });

  it('takes the rejection back on the source day, in the monitor zone, when the dead letter predates the day header', () => {
    const t = replayTargetOf(record({}), days);
    expect('retraction' in t && t.retraction.day).toBe('2025-03-02');
  });

  it('leaves a dead letter without source coordinates or a known reason where it is', () => {
    expect(replayTargetOf(record({ [DLQ_HEADERS.offset]: undefined }), days)).toEqual({
      unreadable: 'no source coordinates',
    });
    expect(replayTargetOf(record({ [DLQ_HEADERS.reason]: 'because' }), days)).toEqual({
      unreadable: 'no known reason',
    });
  });
});
