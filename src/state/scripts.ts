/**
 * Loads the Lua scripts: each atomic operation one file in ./lua, named for
 * what it does; shared parts are pulled in by `--- @include "includes/name"`
 * lines at load time (each part once), as BullMQ does. A script that takes
 * day keys gets them by name: a prelude `local K, NAMED_KEYS = {counters =
 * KEYS[1], …}, n` built from keys.ts, the one place that fixes their order
 * (keys past the named ones, if any, follow in KEYS).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'lua');
const INCLUDE = /^--- @include "([\w/-]+)"\s*$/gm;

/** The script's source with its includes expanded (each once) and, given key names, the KEYS prelude. */
export function loadScript(name: string, keyNames: readonly string[] = []): string {
  const included = new Set<string>();
  const expand = (file: string): string =>
    readFileSync(join(LUA_DIR, `${file}.lua`), 'utf8').replace(INCLUDE, (_, part: string) => {
      if (included.has(part)) return '';
      included.add(part);
      return expand(part);
    });
  const body = expand(name);
  if (keyNames.length === 0) return body;
  const named = keyNames.map((k, i) => `${k} = KEYS[${i + 1}]`).join(', ');
  const prelude = `local K, NAMED_KEYS = {${named}}, ${keyNames.length}`;
  // one line, so that Redis's line numbers in errors match the file's, off by one
  return `${prelude}\n${body}`;
}
