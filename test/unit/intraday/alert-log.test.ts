import { describe, expect, it } from 'vitest';
import {
  type IntradaySighting,
  recordsOf,
  sightingKey,
  sightingsOf,
} from '../../../src/intraday/alert-log.ts';
import type { IntradayVerdict } from '../../../src/intraday/evaluate.ts';

const sighting = (o: Partial<IntradaySighting> = {}): IntradaySighting => ({
  check: 'intraday_silence',
  severity: 'CRITICAL',
  event_name: 'page_viewed',
  message: 'page_viewed: no event for 20 min',
  observed: 0,
  expected: 14,
  since: '2025-03-07T10:48:00.000Z',
  at: '2025-03-07T11:10:00.000Z',
  snoozed: false,
  ...o,
});
const stored = (first: IntradaySighting, last: IntradaySighting) => ({
  first: JSON.stringify(first),
  last: JSON.stringify(last),
});

describe("the day's intraday alerts, from their first and last sighting", () => {
  it('runs from when the condition began to the last run that raised it, with what the first run said', () => {
    const [r] = recordsOf([
      stored(
        sighting(),
        sighting({ at: '2025-03-07T13:40:00.000Z', message: 'page_viewed: no event for 170 min' }),
      ),
    ]);
    expect(r).toEqual({
      check: 'intraday_silence',
      severity: 'CRITICAL',
      event_name: 'page_viewed',
      message: 'page_viewed: no event for 20 min',
      since: '2025-03-07T10:48:00.000Z',
      first_seen: '2025-03-07T11:10:00.000Z',
      last_seen: '2025-03-07T13:40:00.000Z',
      snoozed: false,
    });
  });

  it('takes the worse severity of the two, and is snoozed only when both were', () => {
    const [r] = recordsOf([
      stored(
        sighting({ severity: 'WARNING', snoozed: true }),
        sighting({ severity: 'CRITICAL', at: '2025-03-07T12:00:00.000Z' }),
      ),
    ]);
    expect(r).toMatchObject({ severity: 'CRITICAL', snoozed: false });
    const [back] = recordsOf([stored(sighting({ severity: 'CRITICAL' }), sighting({ severity: 'WARNING' }))]);
    expect(back!.severity).toBe('CRITICAL');
  });

  it('passes over a sighting of an unknown shape, and orders the rest by when each began', () => {
    const late = sighting({ check: 'intraday_volume_drop', since: '2025-03-07T15:00:00.000Z' });
    const early = sighting({ event_name: null, since: '2025-03-07T09:00:00.000Z' });
    const records = recordsOf([
      stored(late, late),
      { first: '{"check":', last: '{}' },
      { first: JSON.stringify({ check: 'x' }), last: '{}' },
      stored(early, early),
    ]);
    expect(records.map((r) => [r.check, r.event_name])).toEqual([
      ['intraday_silence', null],
      ['intraday_volume_drop', 'page_viewed'],
    ]);
  });

  it("a verdict's alerts become sightings at the run's time, keyed by check and event type", () => {
    const verdict: IntradayVerdict = {
      date: '2025-03-07',
      at: '11:10',
      baseline_days: [],
      excluded: [],
      note: null,
      overrides: [],
      alerts: [
        {
          check: 'intraday_silence',
          severity: 'CRITICAL',
          event_name: null,
          message: 'all events: no event for 22 min',
          observed: 0,
          expected: 40,
          since: '2025-03-07T10:48:09.000Z',
          snoozed: false,
        },
      ],
    };
    const [s] = sightingsOf(verdict, Date.parse('2025-03-07T11:12:03.000Z'));
    expect(s).toMatchObject({ at: '2025-03-07T11:12:03.000Z', since: '2025-03-07T10:48:09.000Z' });
    // a null event type and a type named like the all-events marker are two alerts
    expect(sightingKey(s!)).not.toBe(sightingKey({ ...s!, event_name: '*' }));
    expect(sightingKey(s!)).not.toBe(sightingKey({ ...s!, event_name: 'null' }));
  });
});
