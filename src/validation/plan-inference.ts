/**
 * Drafts a tracking plan from observed events: per event name, the properties
 * every event carried as required, their JSON types, small sets of string
 * values as enums, non-negative numbers as `minimum: 0`, hashed-looking and
 * ISO-timestamp strings as a pattern or format, and `additionalProperties:
 * false` on every object, so the observed events satisfy the draft and a
 * property nobody planned breaks it. Each rule carries a note of how many
 * events it was drawn from. A team starts from the draft and tightens it.
 * Pure: events in, plan out.
 */

import { dictionary } from '../dictionary.ts';
import { TimestampSchema } from './event.ts';

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'object' | 'array';

/** At most this many distinct strings make an enum… */
const MAX_ENUM_VALUES = 10;
/** …and only when each value was seen this often on average (a few events prove nothing). */
const MIN_EVENTS_PER_ENUM_VALUE = 20;
const HEX_HASH = /^[0-9a-f]+$/;
const HASH_LENGTHS = new Set([32, 40, 64, 128]);

/** What was seen at one place of the events: types, values, child properties, array items. */
class Shape {
  seen = 0;
  readonly types = new Map<JsonType, number>();
  /** Distinct strings, until there are too many to be an enum (then null). */
  strings: Map<string, number> | null = new Map();
  stringCount = 0;
  /** Every string a lower-case hex hash of this length (0: not all the same length; null: not hex). */
  hashLength: number | null | undefined;
  allTimestamps = true;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  objects = 0;
  readonly props = new Map<string, Shape>();
  items: Shape | null = null;

  add(value: unknown) {
    this.seen++;
    const type = typeOf(value);
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    if (type === 'string') this.addString(value as string);
    else if (type === 'integer' || type === 'number') {
      this.min = Math.min(this.min, value as number);
      this.max = Math.max(this.max, value as number);
    } else if (type === 'object') {
      this.objects++;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        let child = this.props.get(k);
        if (!child) {
          child = new Shape();
          this.props.set(k, child);
        }
        child.add(v);
      }
    } else if (type === 'array') {
      this.items ??= new Shape();
      for (const v of value as unknown[]) this.items.add(v);
    }
  }

  private addString(s: string) {
    this.stringCount++;
    if (this.strings) {
      this.strings.set(s, (this.strings.get(s) ?? 0) + 1);
      if (this.strings.size > MAX_ENUM_VALUES) this.strings = null;
    }
    const hex = HASH_LENGTHS.has(s.length) && HEX_HASH.test(s);
    if (this.hashLength === undefined) this.hashLength = hex ? s.length : null;
    else if (this.hashLength !== null && (!hex || s.length !== this.hashLength)) this.hashLength = null;
    if (this.allTimestamps && !TimestampSchema.safeParse(s).success) this.allTimestamps = false;
  }
}

function typeOf(v: unknown): JsonType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'object';
  return 'string';
}

/** A note for one rule of the draft: where it sits (a YAML path) and what it was drawn from. */
export interface DraftNote {
  path: (string | number)[];
  text: string;
}

export interface DraftPlan {
  plan: {
    version: string;
    unplannedEvents: 'mark';
    events: Record<string, { action: 'mark'; schema: Record<string, unknown> }>;
  };
  notes: DraftNote[];
  /** Events read per event name (events without a name are not planned). */
  events: Record<string, number>;
}

export class PlanInferrer {
  private readonly byName = new Map<string, Shape>();
  private unnamed = 0;

  /** One event as the tracking plan sees it (JSON-text fields parsed), under the name its format's mapping reads. */
  add(event: Record<string, unknown>, name: string | null) {
    if (name === null || name === '') {
      this.unnamed++;
      return;
    }
    let shape = this.byName.get(name);
    if (!shape) {
      shape = new Shape();
      this.byName.set(name, shape);
    }
    shape.add(event);
  }

  get eventsWithoutName(): number {
    return this.unnamed;
  }

  result(version: string): DraftPlan {
    const notes: DraftNote[] = [];
    const events: DraftPlan['plan']['events'] = dictionary();
    const counts = dictionary<number>();
    for (const name of [...this.byName.keys()].sort()) {
      const shape = this.byName.get(name)!;
      counts[name] = shape.seen;
      const at = ['events', name, 'schema'];
      events[name] = { action: 'mark', schema: schemaOf(shape, at, notes) };
      notes.push({ path: ['events', name], text: `drawn from ${shape.seen} events` });
    }
    return { plan: { version, unplannedEvents: 'mark', events }, notes, events: counts };
  }
}

function schemaOf(s: Shape, at: (string | number)[], notes: DraftNote[]): Record<string, unknown> {
  const types = [...s.types.keys()];
  // integers among decimals are numbers
  const merged = types.includes('number') ? types.filter((t) => t !== 'integer') : types;
  const schema: Record<string, unknown> = {
    type: merged.length === 1 ? merged[0] : merged.sort(),
  };
  const says: string[] = [`seen ${s.seen} times`];
  const onlyStrings = merged.length === 1 && merged[0] === 'string';
  if (s.stringCount > 0) {
    if (onlyStrings && s.strings && s.strings.size * MIN_EVENTS_PER_ENUM_VALUE <= s.stringCount) {
      schema.enum = [...s.strings.keys()].sort();
      says.push(`${s.strings.size} distinct value${s.strings.size === 1 ? '' : 's'}`);
    } else if (s.hashLength) {
      schema.pattern = `^[0-9a-f]{${s.hashLength}}$`;
      says.push(`all ${s.stringCount} strings ${s.hashLength}-hex hashes`);
    } else if (s.allTimestamps) {
      schema.format = 'date-time';
      says.push(`all ${s.stringCount} strings ISO-8601 times with a zone`);
    }
  }
  if (s.max >= s.min) {
    if (s.min >= 0) schema.minimum = 0;
    says.push(`observed ${s.min}..${s.max}`);
  }
  if (s.objects > 0) {
    const properties = dictionary<unknown>();
    const required: string[] = [];
    for (const key of [...s.props.keys()].sort()) {
      const child = s.props.get(key)!;
      properties[key] = schemaOf(child, [...at, 'properties', key], notes);
      if (child.seen === s.objects) required.push(key);
    }
    schema.properties = properties;
    if (required.length) {
      schema.required = required;
      notes.push({
        path: [...at, 'required'],
        text: `present in every one of ${s.objects} objects`,
      });
    }
    schema.additionalProperties = false;
  }
  if (s.items && s.items.seen > 0) schema.items = schemaOf(s.items, [...at, 'items'], notes);
  notes.push({ path: [...at, 'type'], text: says.join('; ') });
  return schema;
}
