/**
 * `event-monitor plan check FILE` and `plan infer PATH... | --topic T`:
 * validate a tracking plan without starting anything, and draft one from CSV
 * exports or from a bounded read of a topic in the configured source format.
 */
import { Document, visit } from 'yaml';
import { parseMonitorConfig } from '../config/monitor-config.ts';
import { listCsvFiles, readCsvEvents } from '../replay/csv-events.ts';
import { MessageDecoder } from '../source/decode.ts';
import { readTopicOnce } from '../source/topic-reader.ts';
import { EventValidator } from '../validation/event.ts';
import { type DraftPlan, PlanInferrer } from '../validation/plan-inference.ts';
import { TrackingPlan } from '../validation/tracking-plan.ts';
import { type Context, kafkaOf, registryOf } from './context.ts';

/** Compiles the plan (a ConfigError, one line per problem, when it is bad) and says what it plans. */
export function planCheck(file: string): string {
  const plan = TrackingPlan.load(file);
  const names = plan.plannedNames;
  return [
    `${file}: a valid tracking plan, version ${plan.version}`,
    `  ${names.length} planned events: ${names.join(', ')}`,
    `  unplanned events: ${plan.unplannedAction}`,
    '',
  ].join('\n');
}

export interface InferResult {
  yaml: string;
  events: number;
  /** Rows that could not be read, or messages that did not decode. */
  skippedRows: number;
  eventsWithoutName: number;
}

/** Reads the CSV exports (flat events) as the replay would send them and drafts a plan they satisfy. */
export async function planInfer(paths: string[], version: string): Promise<InferResult> {
  const flat = new EventValidator(parseMonitorConfig({}).ingest);
  const inferrer = new PlanInferrer();
  let events = 0;
  let skippedRows = 0;
  for (const file of listCsvFiles(paths)) {
    for await (const row of readCsvEvents(file, () => skippedRows++)) {
      const { name, view } = flat.describe(row.fields);
      inferrer.add(view, name);
      events++;
    }
  }
  const draft = inferrer.result(version);
  return {
    yaml: draftYaml(draft, paths),
    events,
    skippedRows,
    eventsWithoutName: inferrer.eventsWithoutName,
  };
}

/**
 * Reads the topic once, from `fromMs` (or its beginning) up to its end when the read
 * started, decodes each message in the configured source format (wire format too) and
 * drafts a plan its events satisfy; names and the plan's view are the format's.
 */
export async function planInferTopic(ctx: Context, version: string, fromMs?: number): Promise<InferResult> {
  const { config, topic } = ctx;
  const decoder = new MessageDecoder(registryOf(ctx), config.ingest.maxMessageBytes, config.source.payload);
  const validator = new EventValidator(config.ingest, null, config.source);
  const inferrer = new PlanInferrer();
  let events = 0;
  let skipped = 0;
  await readTopicOnce(
    kafkaOf(ctx, '-plan'),
    topic,
    async (record) => {
      const decoded = await decoder.decode(record.value);
      if (!decoded.ok) {
        skipped++;
        return;
      }
      const { name, view } = validator.describe(decoded.value);
      inferrer.add(view, name);
      events++;
    },
    fromMs === undefined ? {} : { fromMs },
  );
  const source = `topic ${topic} (${config.source.format} events${fromMs === undefined ? '' : ` since ${new Date(fromMs).toISOString()}`})`;
  return {
    yaml: draftYaml(inferrer.result(version), [source]),
    events,
    skippedRows: skipped,
    eventsWithoutName: inferrer.eventsWithoutName,
  };
}

function draftYaml(draft: DraftPlan, paths: string[]): string {
  const doc = new Document(draft.plan);
  doc.commentBefore = [
    ` A tracking plan drafted by event-monitor plan infer from ${paths.join(', ')}.`,
    ' The events read satisfy it. Tighten it (types, enums, ranges), check it with',
    ' `event-monitor plan check FILE`, roll it out with action: mark, and reject later.',
  ].join('\n');
  // short lists (types, enums, required) on one line each
  visit(doc, {
    Seq(_, node) {
      node.flow = true;
    },
  });
  for (const note of draft.notes) {
    const node = doc.getIn(note.path, true) as { comment?: string } | undefined;
    if (node && typeof node === 'object') node.comment = ` ${note.text}`;
  }
  return doc.toString({ lineWidth: 0 });
}
