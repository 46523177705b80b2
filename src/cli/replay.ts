/**
 * `event-monitor replay`: sends CSV exports through Kafka, with a progress bar
 * on a terminal and one summary line otherwise.
 */
import { SingleBar } from 'cli-progress';
import { EVENT_FORMATS, type EventFormatName } from '../config/formats/index.ts';
import { countRows, type ReplayFormat, type ReplaySummary, replay } from '../replay/replay.ts';
import { type Context, kafkaOf, registryOf } from './context.ts';

export interface ReplayCliOptions {
  format: ReplayFormat;
  /** The source format rows are converted into; default: the configured source.format. */
  as?: EventFormatName;
  rate?: number;
  skip?: number;
  limit?: number;
  quiet?: boolean;
}

export async function replayCommand(
  ctx: Context,
  paths: string[],
  o: ReplayCliOptions,
): Promise<ReplaySummary> {
  // the export is flat whatever it is converted into: its client id column and the flat aliases key the messages
  const aliases =
    ctx.config.source.format === 'flat' ? ctx.config.ingest.fieldAliases : EVENT_FORMATS.flat.fieldAliases;
  const clientIdFields = [
    'client_id',
    ...Object.entries(aliases)
      .filter(([, canonical]) => canonical === 'client_id')
      .map(([alias]) => alias),
  ];
  const tty = process.stderr.isTTY && !o.quiet;
  const bar = tty
    ? new SingleBar({
        format:
          ' replay |{bar}| {percentage}% | {value}/{total} events | {speed} events/s | ETA {eta_formatted}',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  const started = Date.now();
  if (bar) {
    const rows = Math.max(0, (await countRows(paths)) - (o.skip ?? 0));
    bar.start(Math.min(rows, o.limit ?? rows), 0, { speed: 0 });
  }
  const summary = await replay({
    kafka: kafkaOf(ctx, '-replay'),
    topic: ctx.topic,
    paths,
    format: o.format,
    as: o.as ?? ctx.config.source.format,
    ...(o.format === 'avro' ? { registry: registryOf(ctx) } : {}),
    ...(o.rate ? { rate: o.rate } : {}),
    ...(o.skip ? { skip: o.skip } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    clientIdFields,
    onProgress: (sent) =>
      bar?.update(sent, { speed: Math.round(sent / Math.max(0.001, (Date.now() - started) / 1000)) }),
    onSkip: (row) => {
      const line = `replay: ${row.file} line ${row.line}: row skipped (${row.message})`;
      // on a terminal the bar owns the line: clear it, print, and let the next update redraw it
      if (bar) process.stderr.write(`\r\x1b[K${line}\n`);
      else console.error(line);
    },
  });
  bar?.stop();
  if (!o.quiet) {
    console.error(
      `replay: sent ${summary.sent} events from ${summary.files} files to ${ctx.topic} as ${o.as ?? ctx.config.source.format} ${o.format} in ${summary.seconds.toFixed(1)}s` +
        (summary.skipped.length
          ? `; skipped ${summary.skipped.length} unreadable rows`
          : '; no rows skipped'),
    );
  }
  if (summary.retentionWarning) console.error(`event-monitor: replay: warning: ${summary.retentionWarning}`);
  return summary;
}
