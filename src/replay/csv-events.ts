/**
 * Reads CSV exports (files or folders; .csv and .csv.gz) as tracking events.
 * The header row decides the field names; a column absent from the header is
 * absent from the event; an empty cell is null; event_data stays text. Bad
 * rows (ragged, broken quoting) are skipped and reported with file and line.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type CsvError, parse } from 'csv-parse';
import { dictionary } from '../dictionary.ts';

export interface CsvEvent {
  file: string;
  /** Line of the record's first character in its file (1-based; the header is line 1). */
  line: number;
  header: string[];
  fields: Record<string, string | null>;
  /** Epoch ms of the event's timestamp, or of the last parseable one before it in the file. */
  timestampMs: number | null;
}

export interface SkippedRow {
  file: string;
  line: number;
  message: string;
}

/** The CSV files named by `paths`, folders expanded, in name order (daily exports sort by date). */
export function listCsvFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      out.push(
        ...readdirSync(p)
          .filter(isCsv)
          .sort()
          .map((f) => join(p, f)),
      );
    } else out.push(p);
  }
  if (out.length === 0) throw new Error(`no .csv or .csv.gz files in ${paths.join(', ')}`);
  return out;
}

const isCsv = (f: string) => f.endsWith('.csv') || f.endsWith('.csv.gz');

/** Rows of one file as events; `onSkip` hears about every row that could not be read. */
export async function* readCsvEvents(
  file: string,
  onSkip: (row: SkippedRow) => void,
  timestampField = 'timestamp',
): AsyncGenerator<CsvEvent> {
  let input: Readable = createReadStream(file);
  if (file.endsWith('.gz')) input = input.pipe(createGunzip());
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: false,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        onSkip({ file: basename(file), line: Number(err?.lines ?? 0), message: describe(err) });
        return undefined;
      },
    }),
  );
  let header: string[] | null = null;
  let lastTimestamp: number | null = null;
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    if (!header) {
      header = record.map((h) => h.trim());
      continue;
    }
    const fields = dictionary<string | null>();
    header.forEach((name, i) => {
      const v = record[i];
      fields[name] = v === undefined || v === '' ? null : v;
    });
    const parsed = fields[timestampField] ? Date.parse(fields[timestampField]!) : Number.NaN;
    if (Number.isFinite(parsed)) lastTimestamp = parsed;
    yield { file: basename(file), line: info.lines, header, fields, timestampMs: lastTimestamp };
  }
}

function describe(err: CsvError | undefined): string {
  if (!err) return 'unreadable row';
  // csv-parse messages are precise but long; keep the first sentence, not the row's content
  const first = err.message.split(':')[0] ?? err.message;
  return `${err.code ?? 'CSV_ERROR'}: ${first}`.slice(0, 200);
}
