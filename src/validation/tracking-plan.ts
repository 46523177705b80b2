/**
 * The team's tracking plan: per planned event name, a JSON Schema (draft
 * 2020-12) of the whole event as the monitor sees it, with `event_data` parsed
 * into an object, and what to do with an event that breaks it (mark: accept
 * and count the violation; reject: dead-letter it). Compiled once with ajv;
 * a bad plan is a ConfigError with one line per problem.
 *
 * A violation is (path, rule): the JSON Pointer of the failing place with
 * array indexes as `*`, and the failing JSON Schema keyword. Counted once per
 * event per (path, rule), however many items break the same way.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../config/env.ts';
import { EVENT_NAME, FIELD_NAME } from './name-shapes.ts';

/** The shop's default plan, shipped beside src/ (and dist/ in the image). */
export const DEFAULT_PLAN_FILE = fileURLToPath(new URL('../../config/tracking-plan.yml', import.meta.url));

export const PLAN_ACTIONS = ['mark', 'reject'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** The rule of an event whose name the plan lacks (or that has none). */
export const UNPLANNED_RULE = 'unplanned_event';
/** The metrics' event label for every name the plan lacks: labels stay a closed set. */
export const UNPLANNED_LABEL = 'unplanned';

const JsonSchemaObject = z.record(z.string(), z.unknown());

export const TrackingPlanFileSchema = z.strictObject({
  /** Shown in reports as plan_version, so a report says which plan judged it. */
  version: z.string().min(1).default('unversioned'),
  unplannedEvents: z.enum(PLAN_ACTIONS).default('mark'),
  events: z
    .record(
      z.string().min(1).max(64),
      z.strictObject({
        action: z.enum(PLAN_ACTIONS).default('mark'),
        /** A JSON Schema (draft 2020-12) of the whole event. */
        schema: z.union([JsonSchemaObject, z.boolean()]),
        /** Free text for people: who owns the event, what it means. */
        description: z.string().optional(),
      }),
    )
    .refine((events) => Object.keys(events).length > 0, 'a plan needs at least one event'),
});
export type TrackingPlanFile = z.infer<typeof TrackingPlanFileSchema>;

export interface Violation {
  // JSON Pointer with array indexes as `*`, e.g. /event_data/items/*/quantity
  path: string;
  /** The failing JSON Schema keyword (`type`, `required`, ...) or `unplanned_event`. */
  rule: string;
}

export interface PlanVerdict {
  /** The planned name, or the name as sent (capped) when unplanned. */
  eventName: string;
  planned: boolean;
  action: PlanAction;
  violations: Violation[];
}

const MAX_PATH = 256;
/** The event's name as recorded when the sender sent none. */
export const MISSING_NAME = '(missing)';
/**
 * An unplanned event name, or a property name past the plan, that does not look
 * like a name (an e-mail address, a URL): recorded as this, never as sent.
 */
export const OTHER_NAME = '(other)';

interface CompiledEvent {
  action: PlanAction;
  validate: ValidateFunction;
}

export class TrackingPlan {
  readonly version: string;
  readonly unplannedAction: PlanAction;
  private readonly events = new Map<string, CompiledEvent>();

  private constructor(file: TrackingPlanFile, compiled: Map<string, CompiledEvent>) {
    this.version = file.version;
    this.unplannedAction = file.unplannedEvents;
    this.events = compiled;
  }

  /** Validates and compiles a plan; every problem found is one line of the ConfigError. */
  static compile(input: unknown, origin: string): TrackingPlan {
    const parsed = TrackingPlanFileSchema.safeParse(input ?? {});
    const lines = parsed.success ? [] : formatIssues(parsed.error.issues, `${origin}: `);
    // every schema is compiled even when the plan's frame is wrong, so one run names every problem
    const options = {
      allErrors: true,
      // unknown keywords are errors (a typo is not a rule); type-coupling rules stay off: plans are hand-written
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
    } as const;
    // the meta-schema check explains itself to people; events are judged by keyword and path alone
    const meta = new Ajv2020(options);
    const ajv = new Ajv2020({ ...options, messages: false });
    addFormats(meta);
    addFormats(ajv);
    const compiled = new Map<string, CompiledEvent>();
    const events = (input as { events?: unknown } | null)?.events;
    for (const [name, event] of Object.entries(isRecord(events) ? events : {})) {
      const schema = isRecord(event) ? event.schema : undefined;
      if (!isRecord(schema) && typeof schema !== 'boolean') continue; // the frame's check named it
      const where = `${origin}: events.${name}.schema`;
      if (!meta.validateSchema(schema)) {
        lines.push(...schemaProblems(meta.errors ?? [], where));
        continue;
      }
      try {
        const action = parsed.data?.events[name]?.action ?? 'mark';
        compiled.set(name, { action, validate: ajv.compile(schema) });
      } catch (err) {
        lines.push(`${where}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    if (lines.length || !parsed.success) throw new ConfigError(lines);
    return new TrackingPlan(parsed.data, compiled);
  }

  /** Reads a YAML or JSON plan file and compiles it. */
  static load(file: string): TrackingPlan {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`tracking plan: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`]);
    }
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (err) {
      throw new ConfigError([`${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`]);
    }
    return TrackingPlan.compile(data, file);
  }

  get plannedNames(): string[] {
    return [...this.events.keys()];
  }

  /** The metrics' label for an event name: planned names as they are, everything else `unplanned`. */
  labelOf(eventName: string): string {
    return this.events.has(eventName) ? eventName : UNPLANNED_LABEL;
  }

  /**
   * Judges one event as the monitor sees it (event_data already parsed).
   * `eventName` is the name as sent, or null.
   */
  check(eventName: string | null, event: Record<string, unknown>): PlanVerdict {
    const planned = eventName === null ? undefined : this.events.get(eventName);
    if (!planned) {
      return {
        eventName: eventName === null ? MISSING_NAME : EVENT_NAME.test(eventName) ? eventName : OTHER_NAME,
        planned: false,
        action: this.unplannedAction,
        violations: [{ path: '/event_name', rule: UNPLANNED_RULE }],
      };
    }
    if (planned.validate(event))
      return { eventName: eventName!, planned: true, action: planned.action, violations: [] };
    return {
      eventName: eventName!,
      planned: true,
      action: planned.action,
      violations: violationsOf(planned.validate.errors ?? [], event),
    };
  }
}

/** The meta-schema's errors, one line per place (its first, most direct complaint), allowed values named. */
function schemaProblems(errors: readonly ErrorObject[], where: string): string[] {
  const byPlace = new Map<string, string>();
  for (const e of errors) {
    if (byPlace.has(e.instancePath)) continue;
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    byPlace.set(
      e.instancePath,
      `${where}${pointerAsPath(e.instancePath)}: ${e.message}${allowed ? ` (${allowed.join(', ')})` : ''}`,
    );
  }
  return [...byPlace.values()];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** ajv-formats is CommonJS: under ESM its plugin is the module's `default` property. */
function addFormats(ajv: Ajv2020) {
  addFormatsPlugin.default(ajv);
}

/** ajv's errors as distinct (path, rule) pairs, array indexes as `*`. */
export function violationsOf(errors: readonly ErrorObject[], event: unknown): Violation[] {
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const e of errors) {
    const segments = pointerSegments(e.instancePath);
    // keywords that fail on a child name it in params: the path goes to the child
    const child =
      (e.params as { missingProperty?: string }).missingProperty ??
      (e.params as { additionalProperty?: string }).additionalProperty ??
      (e.params as { unevaluatedProperty?: string }).unevaluatedProperty;
    if (typeof child === 'string') segments.push(child);
    const path = normalizedPath(segments, event);
    const key = `${path}\u0000${e.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, rule: e.keyword });
  }
  return out;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Segments back into a pointer: indexes into arrays of `event` become `*`; names that do not look like one, (other). */
function normalizedPath(segments: string[], event: unknown): string {
  let node: unknown = event;
  let path = '';
  for (const segment of segments) {
    let part: string;
    if (Array.isArray(node)) {
      part = '*';
      node = node[Number(segment)];
    } else {
      part = FIELD_NAME.test(segment) ? segment : OTHER_NAME;
      node =
        node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    }
    path += `/${part}`;
  }
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH - 1)}…` : path;
}

/** "/events/0/x" as ".events.0.x", for config lines. */
function pointerAsPath(pointer: string): string {
  return pointer === '' ? '' : pointer.replace(/\//g, '.');
}
