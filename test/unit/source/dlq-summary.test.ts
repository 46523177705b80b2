import { describe, expect, it } from 'vitest';
import { DayResolver } from '../../../src/calendar/day-resolver.ts';
import { DLQ_HEADERS } from '../../../src/source/dead-letter.ts';
import { DlqSummarizer, parseDuration } from '../../../src/source/dlq-summary.ts';

const record = (offset: number, reason: string, ts: string, partition = 0) => ({
  [DLQ_HEADERS.reason]: reason,
  [DLQ_HEADERS.topic]: 'events.raw',
  [DLQ_HEADERS.partition]: String(partition),
  [DLQ_HEADERS.offset]: String(offset),
  [DLQ_HEADERS.timestamp]: String(Date.parse(ts)),
});

describe('dead-letter summary', () => {
  it('counts by reason, day (in the monitor zone) and source partition, first and last seen', () => {
    const s = new DlqSummarizer(new DayResolver('Europe/Berlin'));
    s.add(record(1, 'not_json', '2025-03-01T10:00:00Z'));
    s.add(record(2, 'not_json', '2025-03-01T23:30:00Z')); // 00:30 on 03-02 in Berlin
    s.add(record(7, 'timestamp_missing', '2025-03-01T08:00:00Z', 2));
    expect(s.result()).toEqual({
      total: 3,
      repeats: 0,
      by_reason: { not_json: 2, timestamp_missing: 1 },
      by_day: { '2025-03-01': 2, '2025-03-02': 1 },
      by_partition: { 'events.raw/0': 2, 'events.raw/2': 1 },
      contract_triples: {},
      first_seen: '2025-03-01T08:00:00.000Z',
      last_seen: '2025-03-01T23:30:00.000Z',
    });
  });

  it('counts a dead letter written twice (at least once) once, by its source coordinates', () => {
    const s = new DlqSummarizer(new DayResolver('UTC'));
    s.add(record(1, 'empty', '2025-03-01T10:00:00Z'));
    s.add(record(1, 'empty', '2025-03-01T10:00:00Z'));
    s.add(record(1, 'empty', '2025-03-01T10:00:00Z', 1)); // same offset, other partition: another message
    expect(s.result()).toMatchObject({ total: 2, repeats: 1, by_reason: { empty: 2 } });
  });

  it('counts contract_violation dead letters by the (event, path, rule) triples they broke', () => {
    const s = new DlqSummarizer(new DayResolver('UTC'));
    const contract = (offset: number, violations: [string, string][]) => ({
      ...record(offset, 'contract_violation', '2025-03-01T10:00:00Z'),
      [DLQ_HEADERS.contractEvent]: 'checkout_completed',
      [DLQ_HEADERS.contractPath]: violations[0]![0],
      [DLQ_HEADERS.contractRule]: violations[0]![1],
      [DLQ_HEADERS.contractViolations]: JSON.stringify(violations),
    });
    s.add(contract(1, [['/event_data/items/*/quantity', 'type']]));
    s.add(
      contract(2, [
        ['/event_data/items/*/quantity', 'type'],
        ['/event_data/coupon', 'additionalProperties'],
      ]),
    );
    s.add({ ...contract(3, [['/event_data/revenue', 'minimum']]), [DLQ_HEADERS.contractViolations]: 'cut' });
    expect(s.result().contract_triples).toEqual({
      'checkout_completed /event_data/items/*/quantity type': 2,
      'checkout_completed /event_data/coupon additionalProperties': 1,
      'checkout_completed /event_data/revenue minimum': 1,
    });
  });

  it('keeps any reason text a header carries as a plain key', () => {
    const s = new DlqSummarizer(new DayResolver('UTC'));
    s.add(record(1, '__proto__', '2025-03-01T10:00:00Z'));
    expect(Object.keys(s.result().by_reason)).toEqual(['__proto__']);
  });

  it('reads durations as minutes, hours and days', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('7 days')).toBeNull();
    expect(parseDuration('-1h')).toBeNull();
  });
});
