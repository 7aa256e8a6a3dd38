import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A line `--- @include "relative/path.lua"` (two or three dashes, single or double quotes):
 * the form BullMQ's src/commands/*.lua use, so a reader of both finds one convention.
 */
const INCLUDE_LINE = /^-{2,3}[ \t]*@include[ \t]+(["'])(.+?)\1[ \t;]*$/;

const expanded = new Map<string, string>();

function describeLine(file: URL, line: number): string {
  return `${fileURLToPath(file)}:${line}`;
}

function readLua(file: URL, includedFrom: string | undefined): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const where = includedFrom === undefined ? '' : ` (included from ${includedFrom})`;
    throw new Error(`Lua script ${fileURLToPath(file)} cannot be read${where}; a build that leaves out the .lua files (see the build script in package.json) is the usual cause`, {
      cause: error,
    });
  }
}

/**
 * Appends `file` to `out` after the files it includes, each file once: an include names
 * functions the including body calls, so it must come first, and a snippet two scripts share
 * through different paths is still defined once.
 */
function expandInto(file: URL, out: string[], done: Set<string>, stack: readonly string[], includedFrom: string | undefined): void {
  const path = fileURLToPath(file);
  if (stack.includes(path)) throw new Error(`Lua include cycle: ${[...stack, path].join(' -> ')}`);
  if (done.has(path)) return;
  const body: string[] = [];
  readLua(file, includedFrom)
    .split('\n')
    .forEach((line, index) => {
      const include = INCLUDE_LINE.exec(line.trim());
      if (include === null) {
        body.push(line);
        return;
      }
      const target = include[2] ?? '';
      const included = new URL(target.endsWith('.lua') ? target : `${target}.lua`, file);
      expandInto(included, out, done, [...stack, path], describeLine(file, index + 1));
      // Keeps line numbers of the body readable in Redis's error messages: the include line
      // stays, as a comment.
      body.push(`-- (included ${target})`);
    });
  done.add(path);
  // The name only, never the path: the source (and so its SHA1 in Redis's script cache) is
  // then the same from src and dist and on every machine.
  out.push(`-- ${includedFrom === undefined ? 'script' : 'include'}: ${basename(path)}`, ...body);
}

/**
 * The source of a Lua script for Redis: the file at `file` with its `--- @include "path"`
 * lines (paths relative to the including file, `.lua` optional) replaced by the included
 * files, each once, in dependency order. Scripts live in `.lua` files beside the module that
 * runs them; snippets they share sit in `includes/` folders. Read once per process and cached.
 *
 * @throws Error naming the file (and the including file and line) when a file cannot be read,
 * or the chain of files when includes form a cycle.
 */
export function loadLuaScript(file: URL): string {
  const key = fileURLToPath(file);
  const cached = expanded.get(key);
  if (cached !== undefined) return cached;
  const out: string[] = [];
  expandInto(pathToFileURL(key), out, new Set(), [], undefined);
  const source = out.join('\n');
  expanded.set(key, source);
  return source;
}
