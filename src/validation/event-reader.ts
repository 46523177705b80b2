/**
 * Reads an event's fields by JSON Pointer, compiled once: every pointer the
 * mapping, the expected fields and the shape objects name becomes a slot of a
 * small tree, and each slot is resolved at most once per event (the client id
 * and an expected field that name the same place cost one lookup). A pointer
 * through a field that arrives as JSON text (the flat export's event_data)
 * reads the object the text holds, parsed once per event.
 */

/** A field the event does not carry. */
export const ABSENT: unique symbol = Symbol('absent');
export type Read = unknown | typeof ABSENT;

/** What a JSON-text field held: an object, nothing (absent, null, ""), or text that is not a JSON object. */
export type JsonText = Record<string, unknown> | null | 'invalid';

interface Slot {
  parent: number;
  /** The key within the parent (RFC 6901 unescaped). */
  token: string;
  /** Top-level slots only: aliases that may carry the field instead (a rename). */
  aliases: readonly string[];
  jsonText: boolean;
}

const NOT_READ = Symbol('not read');
const NO_EVENT: Record<string, unknown> = Object.freeze(Object.create(null));

/** An expected field as a pointer: a bare name is a top-level field. */
export const pointerOf = (field: string): string =>
  field.startsWith('/') ? field : `/${field.replaceAll('~', '~0').replaceAll('/', '~1')}`;

export function tokensOf(pointer: string): string[] {
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export class EventReader {
  private readonly slots: Slot[] = [];
  private readonly byPointer = new Map<string, number>();
  private values: unknown[] = [];
  private parsed: (JsonText | typeof NOT_READ)[] = [];
  private raw: Record<string, unknown> = NO_EVENT;
  /** Called when a field was found under an alias: once per event and alias. */
  onAlias: (alias: string) => void = () => {};

  constructor(
    /** alias → canonical top-level field */
    aliases: Readonly<Record<string, string>>,
    private readonly jsonTextFields: readonly string[] = [],
  ) {
    this.aliasesOf = new Map();
    for (const [alias, canonical] of Object.entries(aliases)) {
      this.aliasesOf.set(canonical, [...(this.aliasesOf.get(canonical) ?? []), alias]);
    }
  }
  private readonly aliasesOf: Map<string, string[]>;

  /** The slot of a pointer (or bare top-level name), made on first use. Compile time only. */
  slot(field: string): number {
    const pointer = pointerOf(field);
    const known = this.byPointer.get(pointer);
    if (known !== undefined) return known;
    const tokens = tokensOf(pointer);
    let parent = -1;
    let path = '';
    for (const token of tokens) {
      path += `/${token.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      let index = this.byPointer.get(path);
      if (index === undefined) {
        index = this.slots.length;
        this.slots.push({
          parent,
          token,
          aliases: parent === -1 ? (this.aliasesOf.get(token) ?? []) : [],
          jsonText: this.jsonTextFields.includes(path),
        });
        this.byPointer.set(path, index);
      }
      parent = index;
    }
    this.values = new Array(this.slots.length).fill(NOT_READ);
    this.parsed = new Array(this.slots.length).fill(NOT_READ);
    return parent;
  }

  /** Start reading another event. */
  begin(raw: Record<string, unknown>) {
    this.raw = raw;
    this.values.fill(NOT_READ);
    this.parsed.fill(NOT_READ);
  }

  /** The value at a slot, or ABSENT. */
  get(slot: number): Read {
    const cached = this.values[slot];
    if (cached !== NOT_READ) return cached;
    const s = this.slots[slot]!;
    let value: Read;
    if (s.parent === -1) value = this.topLevel(s);
    else {
      const container = this.containerAt(s.parent);
      value = container === null ? ABSENT : childOf(container, s.token);
    }
    this.values[slot] = value;
    return value;
  }

  /** The first of several slots with a value (not null nor ""); else the first present one's value; else ABSENT. */
  first(slots: readonly number[]): Read {
    let fallback: Read = ABSENT;
    for (const slot of slots) {
      const v = this.get(slot);
      if (v === ABSENT) continue;
      if (v !== null && v !== '') return v;
      if (fallback === ABSENT) fallback = v;
    }
    return fallback;
  }

  /** A JSON-text field read as what it holds. */
  jsonTextAt(slot: number): JsonText {
    const cached = this.parsed[slot]!;
    if (cached !== NOT_READ) return cached;
    const v = this.get(slot);
    const parsed = parseJsonText(v === ABSENT ? undefined : v);
    this.parsed[slot] = parsed;
    return parsed;
  }

  /** The object or array at a slot, through JSON text where the field is one; null otherwise. */
  containerAt(slot: number): Record<string, unknown> | unknown[] | null {
    const s = this.slots[slot]!;
    if (s.jsonText) {
      const parsed = this.jsonTextAt(slot);
      return parsed === 'invalid' ? null : parsed;
    }
    const v = this.get(slot);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  }

  private topLevel(s: Slot): Read {
    const raw = this.raw;
    if (Object.hasOwn(raw, s.token)) return raw[s.token];
    for (const alias of s.aliases) {
      if (Object.hasOwn(raw, alias)) {
        this.onAlias(alias);
        return raw[alias];
      }
    }
    return ABSENT;
  }
}

function childOf(container: Record<string, unknown> | unknown[], token: string): Read {
  if (Array.isArray(container)) {
    if (!/^(0|[1-9]\d*)$/.test(token)) return ABSENT;
    const i = Number(token);
    return i < container.length ? container[i] : ABSENT;
  }
  return Object.hasOwn(container, token) ? container[token] : ABSENT;
}

/** A field that arrives as JSON text (or already as an object). */
export function parseJsonText(value: unknown): JsonText {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'object') return Array.isArray(value) ? 'invalid' : (value as Record<string, unknown>);
  if (typeof value !== 'string') return 'invalid';
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : 'invalid';
  } catch {
    return 'invalid';
  }
}
