import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

describe('examples/enqueue-and-wait.ts', () => {
  const prefix = uniquePrefix('example');
  const redis = connectTestRedis();
  let dir: string | undefined;
  afterAll(async () => {
    // Without Azure settings the example keeps to `<prefix>-simulator`, as `imgbatch run` does.
    await deleteKeysWithPrefix(redis, `${prefix}-simulator`);
    await redis.quit();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs as written against the simulator: enqueues, waits with progress and lists the stored images', async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-example-'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: dir };
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'examples/enqueue-and-wait.ts'], { cwd: process.cwd(), env });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (exitCode) => {
        resolve({ code: exitCode, stdout: out, stderr: err });
      });
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('enqueued example-library: 2 requests, 0 refused');
    expect(stdout).toContain('3/3 done');
    expect(stdout).toMatch(/example-library\/hero-1: stored .*hero-1\.png/);
    expect((await readdir(join(dir, 'example-library'))).sort()).toEqual(['hero-0.json', 'hero-0.png', 'hero-1.json', 'hero-1.png', 'icon-0.json', 'icon-0.png']);
  });
});
