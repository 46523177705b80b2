/**
 * Exactly once, proven with separate consumer processes on the real export:
 * SIGKILL mid-stream and restart, rebalance 1 → 3 → 1, and a zombie that
 * writes after losing its partitions; with the state on one Redis and on the
 * local Redis Cluster. Afterwards every counter, the funnel and the sessions
 * equal the reference computed straight from the CSV files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BatchProcessor } from '../../src/ingest/batch-processor.ts';
import { MessageDecoder } from '../../src/source/decode.ts';
import type { DeadLetter, IncomingMessage } from '../../src/source/messages.ts';
import { MonitorState } from '../../src/state/monitor-state.ts';
import { EventValidator } from '../../src/validation/event.ts';
import {
  EXPECTED_TOTAL,
  expectedFigures,
  phasedReplay,
  type StateAt,
  stateFigures,
  totalEvents,
} from '../helpers/export.ts';
import { eventually, type MonitorProcess, startMonitor } from '../helpers/monitor-process.ts';
import { clusterRedis, redis, type TestSpace, testSpace } from '../helpers/stack.ts';

// Small fetches (the 1 MiB minimum) make many batches, so kills land between and inside them.
const SLOW = { KAFKA_MAX_BYTES_PER_PARTITION: '1048576' };

const spaces: TestSpace[] = [];
const processes: MonitorProcess[] = [];
afterEach(async () => {
  for (const p of processes.splice(0)) if (p.child.exitCode === null) p.kill('SIGKILL');
  for (const s of spaces.splice(0)) await s.cleanup();
});

async function space(name: string, redisCluster = false) {
  const s = await testSpace(`${import.meta.filename}-${name}`, { partitions: 6, redisCluster });
  spaces.push(s);
  return s;
}
function monitor(s: TestSpace, args: string[] = [], extra: Record<string, string> = {}) {
  const p = startMonitor(['consume', ...args], { ...s.env, ...SLOW, ...extra });
  processes.push(p);
  return p;
}
/** Messages the consumers reported as redelivered and skipped (their log lines). */
function redeliveredAndSkipped(outputs: string[]) {
  let n = 0;
  for (const line of outputs.join('\n').split('\n')) {
    if (line.includes('already applied; skipped')) n += Number(/"skipped":(\d+)/.exec(line)?.[1] ?? 0);
  }
  return n;
}

/**
 * Waits until more than `n` events are applied. Callers only ask for what the
 * producer has already put on the broker (see phasedReplay), so the wait is
 * bounded by what was produced, not by a race with it.
 */
const progressBeyond = async (s: TestSpace, n: number, produced: number, at?: StateAt) => {
  if (n >= produced) throw new Error(`waiting for more than ${n} events, but only ${produced} were produced`);
  try {
    return await eventually(
      () => totalEvents(s.namespace, at),
      (t) => t > n,
      90_000,
    );
  } catch (err) {
    // show what the consumers said: a stall must be diagnosable from CI output
    const tails = processes.map((p) => p.output().split('\n').slice(-15).join('\n'));
    throw new Error(`${(err as Error).message}\n--- consumer output ---\n${tails.join('\n---\n')}`);
  }
};
const joins = (p: MonitorProcess) => p.output().split('joined consumer group').length - 1;

describe.each([
  { target: 'one Redis', cluster: false },
  { target: 'Redis Cluster', cluster: true },
])('exactly once, the state on $target', ({ cluster }) => {
  const at: StateAt = cluster ? clusterRedis : undefined;

  it('SIGKILL mid-stream three times, then a restart: every count exact, no false duplicate', async () => {
    const s = await space('kill', cluster);
    // the producer holds after each phase: every kill lands before the whole export is on the broker
    const feed = phasedReplay(s, [12_000, 24_000, 36_000]);
    const killedAt: number[] = [];
    const outputs: string[] = [];
    // a different fetch size each time, so redelivered batches straddle what was applied before
    const fetchSizes = ['1048576', '2097152', '1572864'];
    for (let i = 0; i < 3; i++) {
      const produced = await feed.reached(i);
      // the last victim never commits: what it applied is redelivered to its successor by construction
      const commits: Record<string, string> = i === 2 ? { KAFKA_COMMIT_INTERVAL_MS: '600000' } : {};
      const p = monitor(s, [], { KAFKA_MAX_BYTES_PER_PARTITION: fetchSizes[i]!, ...commits });
      await progressBeyond(s, (killedAt.at(-1) ?? 0) + 1500, produced, at);
      p.kill('SIGKILL');
      await p.exited;
      outputs.push(p.output());
      killedAt.push(await totalEvents(s.namespace, at));
      // the next phase arrives while the next consumer starts up
      if (i < 2) feed.release(i);
    }
    expect(killedAt.every((n) => n < EXPECTED_TOTAL)).toBe(true);
    feed.release(2);
    await feed.done;

    const last = monitor(s, ['--exit-when-idle', '3'], { KAFKA_MAX_BYTES_PER_PARTITION: String(16 << 20) });
    expect(await last.exited).toBe(0);
    outputs.push(last.output());
    expect(await stateFigures(s.namespace, at)).toEqual(expectedFigures());
    // the last consumer was handed batches a killed consumer had applied but not committed, and skipped them
    expect(redeliveredAndSkipped(outputs)).toBeGreaterThan(0);
  });

  it('rebalances 1 → 3 → 1 consumers without losing or doubling anything', async () => {
    const s = await space('rebalance', cluster);
    const feed = phasedReplay(s, [15_000, 30_000]);
    const first = await feed.reached(0);
    const a = monitor(s);
    await progressBeyond(s, 2_000, first, at);
    const b = monitor(s);
    const c = monitor(s);
    await eventually(
      async () => joins(b) > 0 && joins(c) > 0,
      (ok) => ok,
      60_000,
    );
    // three members now share the partitions: the second phase is consumed by all three
    feed.release(0);
    const second = await feed.reached(1);
    await progressBeyond(s, first + 3_000, second, at);
    b.kill('SIGKILL'); // gone without leaving the group: its partitions wait for the session timeout
    c.kill('SIGTERM'); // leaves cleanly, committing what it applied
    expect(await c.exited).toBe(0);
    feed.release(1);
    await feed.done;
    await eventually(
      () => totalEvents(s.namespace, at),
      (t) => t === EXPECTED_TOTAL,
      120_000,
    );
    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await stateFigures(s.namespace, at)).toEqual(expectedFigures());
    // a went through at least two rebalances: joined alone, with b and c, and after c left
    // (c's partitions hold third-phase events, so the exact total needs a to have taken them)
    expect(joins(a)).toBeGreaterThanOrEqual(3);
  });

  it('a paused consumer that resumes after losing its partitions (a zombie) changes no count', async () => {
    const s = await space('zombie', cluster);
    const feed = phasedReplay(s, [10_000]);
    const produced = await feed.reached(0);
    const zombie = monitor(s);
    await progressBeyond(s, 1_000, produced, at);
    zombie.child.kill('SIGSTOP');
    const heir = monitor(s);
    feed.release(0);
    await feed.done;
    // the heir gets every partition once the zombie's session times out, and finishes the stream
    await eventually(
      () => totalEvents(s.namespace, at),
      (t) => t === EXPECTED_TOTAL,
      120_000,
    );
    // the zombie wakes and finishes whatever batch it held; stopping it waits for that batch,
    // so once it has exited every write it could make has been made
    zombie.child.kill('SIGCONT');
    zombie.kill('SIGTERM');
    expect(await zombie.exited).toBe(0);
    expect(await stateFigures(s.namespace, at)).toEqual(expectedFigures());
    heir.kill('SIGTERM');
    expect(await heir.exited).toBe(0);
  });
});

describe('exactly once, at the batch level (deterministic zombie)', () => {
  const message = (offset: number, tx: string): IncomingMessage => ({
    offset: String(offset),
    timestamp: String(Date.parse('2025-03-01T10:00:00Z')),
    key: null,
    value: Buffer.from(
      JSON.stringify({
        client_id: `c${offset}`,
        page_url: 'https://puffy.com/',
        referrer: null,
        timestamp: '2025-03-01T10:00:00Z',
        event_name: 'checkout_completed',
        event_data: JSON.stringify({ transaction_id: tx, revenue: 10 }),
        user_agent: 'ua',
      }),
    ),
  });

  it('skips a stale batch whether or not the zombie had seen the newer watermark', async () => {
    const s = await space('batch');
    const r = redis();
    const state = new MonitorState(r, s.namespace);
    const config = s.ctx.config;
    const processor = () =>
      new BatchProcessor({
        namespace: s.namespace,
        decoder: new MessageDecoder(undefined, config.ingest.maxMessageBytes),
        validator: new EventValidator(config.ingest),
        days: s.ctx.days,
        state: state.days,
        channels: config.channels,
        deadLetters: { send: async (_: DeadLetter[]) => {} },
      });
    const zombie = processor();
    const heir = processor();
    const first = [0, 1, 2].map((o) => message(o, `T${o}`));
    const second = [3, 4, 5].map((o) => message(o, `T${o}`));

    expect(await zombie.process('topic', 0, first)).toMatchObject({ accepted: 3, skipped: 0 });
    // the partition moves: the heir starts at the last commit (0) and applies both batches
    expect(await heir.process('topic', 0, first)).toMatchObject({ accepted: 0, skipped: 3 });
    expect(await heir.process('topic', 0, second)).toMatchObject({ accepted: 3, skipped: 0 });
    // the zombie wakes with its cached watermark (2) and writes its in-flight batch
    expect(await zombie.process('topic', 0, second)).toMatchObject({ accepted: 0, skipped: 3 });
    // a redelivery that straddles the watermark applies only the new part
    const straddling = [4, 5, 6, 7].map((o) => message(o, o === 7 ? 'T0' : `T${o}`));
    expect(await heir.process('topic', 0, straddling)).toMatchObject({ accepted: 2, skipped: 2 });

    const c = (await state.days.read('2025-03-01')).counters;
    expect(c.events).toBe(8);
    expect(c.purchases).toBe(8);
    expect(c.duplicateTransactions).toBe(1); // T0 again at offset 7: a real duplicate, counted once
    expect(c.revenueCents).toBe(8000);
    expect(c.revenueDedupCents).toBe(7000);
    r.disconnect();
  });
});
