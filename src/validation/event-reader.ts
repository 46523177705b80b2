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
  /**
   * The key is no Object.prototype member: a plain property read that gives undefined means
   * absent (parsed JSON holds no undefined), which is cheaper than Object.hasOwn first.
   */
  plainKey: boolean;
}

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
  // what each slot holds for the current event, valid where its generation is the current one:
  // starting an event costs one increment, not a clear of every slot
  private values: unknown[] = [];
  private valuesOf: Uint32Array = new Uint32Array(0);
  private parsed: JsonText[] = [];
  private parsedOf: Uint32Array = new Uint32Array(0);
  private generation = 1;
  private raw: Record<string, unknown> = NO_EVENT;
  /** canonical top-level field → the aliases it may arrive under */
  private readonly aliasesOf = new Map<string, string[]>();
  /** Called when a field was found under an alias: once per event and alias. */
  onAlias: (alias: string) => void = () => {};

  constructor(
    /** alias → canonical top-level field */
    aliases: Readonly<Record<string, string>>,
    private readonly jsonTextFields: readonly string[] = [],
  ) {
    for (const [alias, canonical] of Object.entries(aliases)) {
      this.aliasesOf.set(canonical, [...(this.aliasesOf.get(canonical) ?? []), alias]);
    }
  }

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
          plainKey: !(token in Object.prototype),
        });
        this.byPointer.set(path, index);
      }
      parent = index;
    }
    this.values = new Array(this.slots.length).fill(undefined);
    this.valuesOf = new Uint32Array(this.slots.length);
    this.parsed = new Array(this.slots.length).fill(null);
    this.parsedOf = new Uint32Array(this.slots.length);
    return parent;
  }

  /** Start reading another event. */
  begin(raw: Record<string, unknown>) {
    this.raw = raw;
    if (++this.generation === 0xffffffff) {
      this.generation = 1;
      this.valuesOf.fill(0);
      this.parsedOf.fill(0);
    }
  }

  /** The value at a slot, or ABSENT. */
  get(slot: number): Read {
    if (this.valuesOf[slot] === this.generation) return this.values[slot];
    const s = this.slots[slot]!;
    let value: Read;
    if (s.parent === -1) value = this.topLevel(s);
    else {
      const container = this.containerAt(s.parent);
      value = container === null ? ABSENT : childOf(container, s);
    }
    this.values[slot] = value;
    this.valuesOf[slot] = this.generation;
    return value;
  }

  /** The first of several slots with a value (not null nor ""); else the first present one's value; else ABSENT. */
  first(slots: readonly number[]): Read {
    if (slots.length === 1) return this.get(slots[0]!);
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
    if (this.parsedOf[slot] === this.generation) return this.parsed[slot]!;
    const v = this.get(slot);
    const parsed = parseJsonText(v === ABSENT ? undefined : v);
    this.parsed[slot] = parsed;
    this.parsedOf[slot] = this.generation;
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
    if (s.plainKey) {
      const v = raw[s.token];
      if (v !== undefined) return v;
    } else if (Object.hasOwn(raw, s.token)) return raw[s.token];
    for (const alias of s.aliases) {
      if (Object.hasOwn(raw, alias)) {
        this.onAlias(alias);
        return raw[alias];
      }
    }
    return ABSENT;
  }
}

function childOf(container: Record<string, unknown> | unknown[], s: Slot): Read {
  const token = s.token;
  if (Array.isArray(container)) {
    if (!/^(0|[1-9]\d*)$/.test(token)) return ABSENT;
    const i = Number(token);
    return i < container.length ? container[i] : ABSENT;
  }
  if (s.plainKey) {
    const v = container[token];
    return v === undefined ? ABSENT : v;
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
