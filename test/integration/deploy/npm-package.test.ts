import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { strayDevDependencies } from '../../helpers/installed-packages.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { atLowPriority, minimalEnv, runCommand, runCommandOrThrow } from '../../helpers/run-command.js';

/** Three rows, four images, on the cheapest model every simulator serves. */
const CSV = ['id,prompt,n,model,size,quality', 'mug,A red mug on a white table,1,gpt-image-1-mini,1024x1024,low', 'kite,A kite over a beach,2,gpt-image-1-mini,1024x1024,low', 'boat,A paper boat,1,gpt-image-1-mini,1024x1024,low'].join('\n');
const IMAGES = 4;

/** npm needs the machine's own settings (proxy, CA certificates) but none of an npm script's npm_* variables. */
function npmEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].toLowerCase().startsWith('npm_')));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('the npm package', () => {
  let work: string;
  let app: string;
  let packed: string[];
  let redis: Redis;
  const prefix = uniquePrefix('package');

  beforeAll(async () => {
    redis = connectTestRedis();
    work = await mkdtemp(join(tmpdir(), 'imgbatch-package-'));
    app = join(work, 'app');
    await mkdir(join(app, 'jobs'), { recursive: true });
    // `npm pack` runs prepack, which compiles src/ into dist/ first.
    const pack = await runCommandOrThrow(...atLowPriority('npm', ['pack', '--pack-destination', work, '--json']), { env: npmEnv() });
    const [manifest] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    if (manifest === undefined) throw new Error(`npm pack printed no manifest: ${pack.stdout}`);
    packed = manifest.files.map((file) => file.path);
    await runCommandOrThrow(...atLowPriority('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', join(work, manifest.filename)]), { cwd: app, env: npmEnv() });
    await writeFile(join(app, 'jobs', 'tiny.csv'), CSV);
  }, 240_000);

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(work, { recursive: true, force: true });
  });

  it('holds the compiled CLI and library and every file of src/ the compiled code reads at run time, and no source or tests', async () => {
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'bin/imgbatch.js', 'dist/cli/main.js', 'dist/index.js', 'dist/cli/container-healthcheck.js', 'jobs/example.csv']));
    // tsc compiles only .ts: anything else in src/ (a .lua script, a JSON table) is read at
    // run time and has to reach dist/ some other way.
    const assets = (await filesUnder('src')).filter((path) => !path.endsWith('.ts'));
    expect(packed).toEqual(expect.arrayContaining(assets.map((path) => join('dist', path))));
    expect(packed.filter((path) => path.startsWith('src/') || path.startsWith('test/'))).toEqual([]);
  });

  it('installs with --omit=dev without any development dependency', async () => {
    expect(await strayDevDependencies(join(app, 'node_modules'))).toEqual([]);
  });

  it('runs `imgbatch run` from the installed bin on the embedded simulator and stores every image', async () => {
    const bin = join(app, 'node_modules', '.bin', 'imgbatch');
    const result = await runCommand(bin, ['run', 'jobs/tiny.csv'], {
      cwd: app,
      // Node 24 first on PATH for the bin's `#!/usr/bin/env node`; no Azure settings, so the run
      // uses the embedded simulator, and the test's own Redis.
      env: minimalEnv({ PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix }),
    });
    expect(result.stderr + result.stdout).toContain('embedded simulator');
    expect(result.code, result.stderr).toBe(0);
    const images = (await readdir(join(app, 'output', 'tiny'))).filter((name) => name.endsWith('.png'));
    expect(images).toHaveLength(IMAGES);
  });
});
