/**
 * `event-monitor dlq summary`: what the dead-letter topic holds, by reason,
 * source partition and day; values are never printed.
 */
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { readDeadLetters } from '../source/dlq-reader.ts';
import { DlqSummarizer, type DlqSummary } from '../source/dlq-summary.ts';
import { deadLetterTopicOf } from '../source/kafka.ts';
import { type Context, kafkaOf } from './context.ts';

export interface DlqSummaryOptions {
  fromMs?: number;
  json?: string;
}

export async function dlqSummary(
  ctx: Context,
  o: DlqSummaryOptions,
): Promise<DlqSummary & { topic: string }> {
  const topic = deadLetterTopicOf(ctx.topic);
  const summarizer = new DlqSummarizer(ctx.days);
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: ' dlq |{bar}| {value}/{total} records',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  await readDeadLetters(kafkaOf(ctx), topic, (h) => summarizer.add(h), {
    ...(o.fromMs !== undefined ? { fromMs: o.fromMs } : {}),
    ...(bar ? { progress: { start: (total) => bar.start(total, 0), advance: (n) => bar.increment(n) } } : {}),
  });
  bar?.stop();
  const summary = { topic, ...summarizer.result() };
  if (o.json) writeFileSync(o.json, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(summaryText(summary));
  return summary;
}

function summaryText(s: DlqSummary & { topic: string }): string {
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
    '',
  ].join('\n');
}
