import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';

const HEADER = 'id,prompt,model,quality';
const FIRST = [HEADER, 'mug,A red mug,gpt-image-1-mini,low', 'kite,A kite,gpt-image-1-mini,low'].join('\n');
const EDITED = [HEADER, 'mug,A blue mug,gpt-image-1-mini,low', 'kite,A kite,gpt-image-1-mini,low'].join('\n');

describe('imgbatch enqueue and run with edited rows (the CLI, in its own process)', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('changed');
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-changed-'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('run: an edited file into the same batch lists the changed ids and makes no call; --redo-changed makes exactly those and keeps both images', async () => {
    const csv = join(dir, 'shop.csv');
    await writeFile(csv, FIRST);
    const first = await runCli(['run', csv, '--json'], env());
    expect(JSON.parse(first.stdout)).toMatchObject({ batchId: 'shop', stored: 2, apiCalls: 2, ok: true, changed: [] });

    await writeFile(csv, EDITED);
    const kept = await runCli(['run', csv, '--json'], env());
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ stored: 2, apiCalls: 0, changed: ['mug'] });
    expect(kept.stderr).toContain('1 rows changed since they were enqueued into batch shop: mug; kept as they were, no call made (--redo-changed makes them again');

    const redone = await runCli(['run', csv, '--redo-changed', '--json'], env());
    expect(redone.code).toBe(0);
    expect(JSON.parse(redone.stdout)).toMatchObject({ stored: 2, apiCalls: 1, changed: ['mug'] });
    expect(redone.stderr).toContain('1 images of 1 rows to be made again, the previous ones kept in shop/previous/');
    const previous = await readdir(join(dir, 'output', 'shop', 'previous'));
    expect(previous.map((name) => name.replace(/\.[0-9a-f]{32}\./, '.<fp>.')).sort()).toEqual(['mug-0.<fp>.json', 'mug-0.<fp>.png']);
    expect((await readdir(join(dir, 'output', 'shop'))).filter((name) => name.endsWith('.png')).sort()).toEqual(['kite-0.png', 'mug-0.png']);
  });

  it('enqueue: an edited file into a batch whose jobs are still queued lists the changed ids, in JSON too', async () => {
    const csv = join(dir, 'queued.csv');
    await writeFile(csv, FIRST);
    expect((await runCli(['enqueue', csv, '--json'], env())).code).toBe(0);
    await writeFile(csv, EDITED);
    const human = await runCli(['enqueue', csv], env());
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 rows changed since they were enqueued into batch queued: mug; kept as they were');
    const json = await runCli(['enqueue', csv, '--json', '--redo-changed'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({ batchId: 'queued', changed: ['mug'], redoneImages: 1, jobsAdded: 0, jobsAlreadyQueued: 2 });
  });
});
