/**
 * `event-monitor dlq summary`: what the dead-letter topic holds, by reason,
 * source partition and day; values are never printed.
 */
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { failureKind, isRetriable } from '../errors.ts';
import { DeadLetterReplayer, replayTargetOf } from '../ingest/dead-letter-replay.ts';
import { DLQ_HEADERS } from '../source/dead-letter.ts';
import { DlqSummarizer, type DlqSummary } from '../source/dlq-summary.ts';
import { DeadLetterValueFile } from '../source/dlq-values.ts';
import { deadLetterTopicOf } from '../source/kafka.ts';
import { readTopicOnce } from '../source/topic-reader.ts';
import { createRedis } from '../state/redis.ts';
import { deadLetterSinkOf, processorOf } from './consume.ts';
import { type Context, kafkaOf, stateOf } from './context.ts';

export interface DlqSummaryOptions {
  fromMs?: number;
  json?: string;
  /** Also write every dead letter's key and value to this file (owner-only), never to the terminal. */
  showValues?: string;
}

export async function dlqSummary(ctx: Context, o: DlqSummaryOptions): Promise<SummaryOutput> {
  const topic = deadLetterTopicOf(ctx.topic);
  const summarizer = new DlqSummarizer(ctx.days);
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: ' dlq |{bar}| {value}/{total} records',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  const values = o.showValues ? new DeadLetterValueFile(o.showValues) : undefined;
  try {
    await readTopicOnce(
      kafkaOf(ctx),
      topic,
      (r) => {
        summarizer.add(r.headers);
        values?.add(r);
      },
      {
        ...(o.fromMs !== undefined ? { fromMs: o.fromMs } : {}),
        ...(bar
          ? { progress: { start: (total) => bar.start(total, 0), advance: (n) => bar.increment(n) } }
          : {}),
      },
    );
  } finally {
    bar?.stop();
    values?.close();
  }
  const summary = {
    topic,
    ...summarizer.result(),
    ...(values ? { values_file: values.path, values_written: values.written } : {}),
  };
  if (o.json) writeFileSync(o.json, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(summaryText(summary));
  return summary;
}

type SummaryOutput = DlqSummary & { topic: string; values_file?: string; values_written?: number };

function summaryText(s: SummaryOutput): string {
  const rows = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `  ${String(n).padStart(9)}  ${k}`);
  return [
    `${s.topic}: ${s.total} dead letters${s.repeats ? ` (${s.repeats} repeated records counted once)` : ''}`,
    ...(s.total ? [`first ${s.first_seen ?? 'unknown'}, last ${s.last_seen ?? 'unknown'}`] : []),
    'by reason:',
    ...rows(s.by_reason),
    'by day (of the source message):',
    ...rows(s.by_day),
    'by source partition:',
    ...rows(s.by_partition),
    ...(s.values_file ? [`keys and values of ${s.values_written} records written to ${s.values_file}`] : []),
    ...(Object.keys(s.contract_triples).length
      ? ['contract_violation by event, path and rule:', ...rows(s.contract_triples)]
      : []),
    '',
  ].join('\n');
}

export interface DlqReplayOptions {
  /** Only dead letters of these reasons; all when empty. */
  reasons: string[];
  fromMs?: number;
  dryRun?: boolean;
}

export interface DlqReplayResult {
  topic: string;
  /** Records read from the dead-letter topic. */
  read: number;
  /** Of those, the ones the reasons selected. */
  selected: number;
  /** Now accepted into their day. */
  accepted: number;
  /** Rejected again, by their new reason (dead-lettered again, once). */
  rejected: Record<string, number>;
  /** Replayed before (a second replay, or a dead letter written twice): changed nothing. */
  already_replayed: number;
  /** Dead letters without readable source headers, or that the state refused: left as they are. */
  skipped: number;
  /** Days whose counts changed; those already closed need `closeout --date DAY --rerun`. */
  days: string[];
  closed_days: string[];
  dry_run: boolean;
}

/**
 * `event-monitor dlq replay`: the selected dead letters back through validation
 * and into their days, exactly once each (see ingest/dead-letter-replay.ts).
 */
export async function dlqReplay(ctx: Context, o: DlqReplayOptions): Promise<DlqReplayResult> {
  const topic = deadLetterTopicOf(ctx.topic);
  const kafka = kafkaOf(ctx, '-dlq-replay');
  const redis = createRedis(ctx.env, `event-monitor:dlq-replay:${ctx.namespace}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const state = stateOf(ctx, redis);
  const replayer = new DeadLetterReplayer(processorOf(ctx, state, await deadLetterSinkOf(ctx, producer)));
  const result: DlqReplayResult = {
    topic,
    read: 0,
    selected: 0,
    accepted: 0,
    rejected: {},
    already_replayed: 0,
    skipped: 0,
    days: [],
    closed_days: [],
    dry_run: o.dryRun ?? false,
  };
  const days = new Set<string>();
  try {
    await readTopicOnce(
      kafka,
      topic,
      async (record) => {
        result.read++;
        const reason = record.headers[DLQ_HEADERS.reason] ?? '';
        if (o.reasons.length > 0 && !o.reasons.includes(reason)) return;
        result.selected++;
        const target = replayTargetOf(record, ctx.days);
        if ('unreadable' in target) {
          result.skipped++;
          return;
        }
        if (o.dryRun) {
          const verdict = await replayer.judge(target);
          if (verdict.ok) result.accepted++;
          else result.rejected[verdict.reason] = (result.rejected[verdict.reason] ?? 0) + 1;
          return;
        }
        let outcome: Awaited<ReturnType<DeadLetterReplayer['replay']>>;
        try {
          outcome = await replayer.replay(target);
        } catch (err) {
          if (isRetriable(err)) throw err;
          // the state refuses it (a poison message): it stays where it is
          ctx.log.warn(
            { source: target.source, failure: failureKind(err) },
            'dead letter refused by the state; left in place',
          );
          result.skipped++;
          return;
        }
        if (outcome === 'already_replayed') result.already_replayed++;
        else {
          days.add(target.retraction.day);
          if (outcome === 'accepted') result.accepted++;
          else {
            // settled again the same way, to name the new reason (nothing written)
            const verdict = await replayer.judge(target);
            const reason = verdict.ok ? 'unknown' : verdict.reason;
            result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
          }
        }
      },
      o.fromMs !== undefined ? { fromMs: o.fromMs } : {},
    );
    result.days = [...days].sort();
    for (const day of result.days) if ((await state.days.read(day)).closed) result.closed_days.push(day);
  } finally {
    await producer.disconnect();
    redis.disconnect();
  }
  return result;
}

export function replayText(r: DlqReplayResult): string {
  const rejected = Object.entries(r.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} ${reason}`);
  return [
    `${r.topic}: ${r.read} dead letters read, ${r.selected} selected${r.dry_run ? ' (dry run: nothing written)' : ''}`,
    `  ${r.dry_run ? 'would be accepted' : 'accepted into their day'}: ${r.accepted}`,
    `  ${r.dry_run ? 'would fail again' : 'rejected again (back in the dead-letter topic)'}: ${rejected.length ? rejected.join(', ') : 0}`,
    ...(r.dry_run ? [] : [`  already replayed (nothing changed): ${r.already_replayed}`]),
    ...(r.skipped ? [`  left in place (no source headers, or refused by the state): ${r.skipped}`] : []),
    ...(r.days.length ? [`  days changed: ${r.days.join(', ')}`] : []),
    ...(r.closed_days.length
      ? [
          `  already closed, recompute with: ${r.closed_days.map((d) => `closeout --date ${d} --rerun`).join('; ')}`,
        ]
      : []),
    '',
  ].join('\n');
}
