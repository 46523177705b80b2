import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogLevel, type TransientGroupError } from '../../../src/source/kafka-log.ts';

// What kafkajs's Connection logs at ERROR for an error response: the message of its error table entry.
const response = (error: string) => ({ error, correlationId: 7, size: 40 });

describe('kafkajs log levels', () => {
  it('says start-up and rebalance responses once at info, then at debug', () => {
    const seen = new Set<TransientGroupError>();
    const loading = response("The coordinator is loading and hence can't process requests for this group");
    expect(kafkaLogLevel(logLevel.ERROR, loading, seen)).toEqual({
      level: 'info',
      transient: 'GROUP_LOAD_IN_PROGRESS',
    });
    expect(kafkaLogLevel(logLevel.ERROR, loading, seen).level).toBe('debug');
    const unavailable = response('The group coordinator is not available');
    expect(kafkaLogLevel(logLevel.ERROR, unavailable, seen)).toEqual({
      level: 'info',
      transient: 'GROUP_COORDINATOR_NOT_AVAILABLE',
    });
    const rebalancing = response('The group is rebalancing, so a rejoin is needed');
    expect(kafkaLogLevel(logLevel.WARN, rebalancing, seen).transient).toBe('REBALANCE_IN_PROGRESS');
    // a topic just created, not yet announced (the demo's replay met it at start)
    const announcing = response('This server does not host this topic-partition');
    expect(kafkaLogLevel(logLevel.ERROR, announcing, seen)).toEqual({
      level: 'info',
      transient: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  it('keeps real errors at error, and leaves every other level as kafkajs gave it', () => {
    const seen = new Set<TransientGroupError>();
    expect(
      kafkaLogLevel(logLevel.ERROR, response('The coordinator is not aware of this member'), seen),
    ).toEqual({ level: 'error' });
    expect(
      kafkaLogLevel(logLevel.ERROR, { error: 'Connection error: connect ECONNREFUSED' }, seen).level,
    ).toBe('error');
    expect(kafkaLogLevel(logLevel.ERROR, {}, seen).level).toBe('error');
    expect(kafkaLogLevel(logLevel.WARN, {}, seen).level).toBe('warn');
    expect(
      kafkaLogLevel(logLevel.DEBUG, response('The group coordinator is not available'), seen).level,
    ).toBe('debug');
    expect(seen.size).toBe(0);
  });
});
