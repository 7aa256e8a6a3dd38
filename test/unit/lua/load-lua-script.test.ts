import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadLuaScript } from '../../../src/lua/load-lua-script.js';

describe('loadLuaScript: .lua files with --- @include lines', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-lua-'));
    await mkdir(join(dir, 'includes'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(path: string, text: string): Promise<URL> {
    await writeFile(join(dir, path), text);
    return pathToFileURL(join(dir, path));
  }

  it('puts each included file once, before the body that calls it, includes of includes first', async () => {
    await write('includes/clock.lua', 'local function clock() return 1 end\n');
    await write('includes/keys.lua', "--- @include \"clock\"\nlocal function key() return 'k' .. clock() end\n");
    const script = await write('main.lua', "--- @include \"includes/keys\"\n--- @include 'includes/clock.lua'\nreturn key()\n");
    const source = loadLuaScript(script);
    expect(source.match(/local function clock/g)).toHaveLength(1);
    expect(source.indexOf('local function clock')).toBeLessThan(source.indexOf('local function key'));
    expect(source.indexOf('local function key')).toBeLessThan(source.indexOf('return key()'));
    // No path in the source: its SHA1 in Redis's script cache is the same on every machine.
    expect(source).not.toContain(dir);
  });

  it('names the missing file and the line that includes it', async () => {
    const script = await write('broken.lua', "local x = 1\n--- @include \"includes/nowhere\"\nreturn x\n");
    expect(() => loadLuaScript(script)).toThrow(/nowhere\.lua cannot be read \(included from .*broken\.lua:2\)/);
  });

  it('refuses includes that form a cycle, naming the chain', async () => {
    await write('includes/a.lua', '--- @include "b"\n');
    await write('includes/b.lua', '--- @include "a"\n');
    const script = await write('cycle.lua', '--- @include "includes/a"\nreturn 1\n');
    expect(() => loadLuaScript(script)).toThrow(/Lua include cycle: .*cycle\.lua -> .*a\.lua -> .*b\.lua -> .*a\.lua/);
  });
});
