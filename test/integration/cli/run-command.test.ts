import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSimulator } from '../../../src/simulator/create-simulator.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';



const CSV = [
  'id,prompt,n,model,size,quality,style,sku',
  'mug,"A red mug, studio photo",2,gpt-image-1-mini,1024x1024,low,,M-1',
  'zero,A blue mug,0,gpt-image-1-mini,,,,M-2',
  'lake,A lake at dawn,1,gpt-image-2,1280x720,low,,L-1',
  'wide,A wide lake,1,gpt-image-1.5,1792x1024,,,L-2',
  'old,An old lake,1,dall-e-3,1024x1024,standard,natural,L-3',
  'blocked,A gore scene,1,gpt-image-1-mini,,,,X-1',
].join('\n');

describe('imgbatch run (the CLI, in its own process, on the embedded simulator)', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('cli');
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-cli-'));
    await writeFile(join(dir, 'products.csv'), CSV);
    await writeFile(join(dir, 'good.csv'), ['id,prompt,model', 'a,A kite,gpt-image-1-mini', 'b,A boat,gpt-image-1.5'].join('\n'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('names every bad row with its field and reason, still makes the good rows, and exits 1', async () => {
    const result = await runCli(['run', join(dir, 'products.csv'), '--json'], env());
    expect(result.stderr).toContain('invalid: row 3: n: 0 is below the minimum of 1');
    expect(result.stderr).toMatch(/invalid: row 5: size: "1792x1024" is not allowed for gpt-image-1\.5 \(allowed: 1024x1024, 1024x1536, 1536x1024\)/);
    expect(result.stderr).toContain('invalid: row 6: model: dall-e-3 was retired on Azure on 2026-03-04 (its deployments no longer answer); use gpt-image-1-mini instead');
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ batchId: 'products', images: 4, stored: 3, filtered: 1, failed: 0, pending: 0, invalidRows: 3, apiCalls: 4, ok: false });
    expect(result.code).toBe(1);
    // Every accepted row's image was made: the summary says what was refused, not that something failed.
    expect(result.stderr).toContain('result       every image of the accepted rows stored or filtered; 3 rows refused as invalid');
    const files = (await readdir(join(dir, 'output', 'products'))).sort();
    expect(files).toEqual(['blocked-0.json', 'lake-0.json', 'lake-0.png', 'mug-0.json', 'mug-0.png', 'mug-1.json', 'mug-1.png']);
  });

  it('exits 0 when every image is stored or filtered, and a second run makes no API call', async () => {
    const first = await runCli(['run', join(dir, 'good.csv'), '--json'], env());
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ stored: 2, apiCalls: 2, ok: true });
    expect(first.stderr).toContain('result       every image stored or filtered');
    // Not a terminal: plain progress lines, ending with the finished batch against the quota.
    expect(first.stderr).toMatch(/^good: 2\/2 \(100%\) stored 2, filtered 0, failed 0, calls 2, 429s 0, (\d+|…) of \d+ calls\/min/m);
    const second = await runCli(['run', join(dir, 'good.csv'), '--json'], env());
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ stored: 2, apiCalls: 0, ok: true });
  });

  it('images skipped at the budget are told in one line (by their reason code, budget_exceeded), not one line each', async () => {
    await writeFile(join(dir, 'kites.csv'), ['id,prompt,model,quality', ...Array.from({ length: 4 }, (_, i) => `k${i},A kite number ${i},gpt-image-1.5,low`)].join('\n'));
    // One call of gpt-image-1.5 low costs about $0.0087: a $0.01 budget makes one image.
    const result = await runCli(['run', join(dir, 'kites.csv'), '--max-cost', '0.01', '--json'], env());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ stored: 1, skipped: 3 });
    expect(result.stderr).toMatch(/^3 images skipped, e\.g\. kites\/k\d-0: budget: /m);
    expect(result.stderr).not.toMatch(/^kites\/k\d-0: budget: /m);
  });

  it('refuses a configuration error with a message, not a stack trace', async () => {
    const result = await runCli(['run', join(dir, 'good.csv')], { ...env(), AZURE_OPENAI_ENDPOINT: 'https://example.invalid/' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AZURE_OPENAI_DEPLOYMENT_NAME: must be set when AZURE_OPENAI_ENDPOINT is');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('pointed at an endpoint that refuses its key, stops with the reason and how to resume instead of waiting forever; its image counts as pending, not failed', async () => {
    const simulator = await createSimulator({ deployments: [{ name: 'gpt-image-1-mini', model: 'gpt-image-1-mini', ratePerMinute: 600 }] });
    try {
      const result = await runCli(['run', join(dir, 'good.csv')], {
        ...env(),
        IMGBATCH_REDIS_PREFIX: `${prefix}-azure`,
        IMGBATCH_OUTPUT_DIR: join(dir, 'output-azure'),
        AZURE_OPENAI_ENDPOINT: simulator.url,
        AZURE_OPENAI_API_KEY: 'not-the-key',
        AZURE_OPENAI_DEPLOYMENT_NAME: 'gpt-image-1-mini',
      });
      expect(result.code).toBe(1);
      // b's model (gpt-image-1.5) has no deployment here: refused up front, not left waiting.
      expect(result.stderr).toMatch(/invalid: row 3: model: no configured deployment serves "gpt-image-1.5"/);
      expect(result.stderr).toMatch(/stopped waiting: every deployment is paused[\s\S]*auth \(HTTP 401\)[\s\S]*imgbatch deployments resume gpt-image-1-mini/);
      expect(simulator.stats().map((c) => c.outcome)).toEqual(['unauthorized']);
      expect(result.stdout).toContain('images       1: 0 stored, 0 filtered, 0 failed, 0 rejected, 1 pending');
      expect(result.stdout).toMatch(/^paused {7}gpt-image-1-mini: auth \(HTTP 401\).*; after fixing it: imgbatch deployments resume gpt-image-1-mini$/m);
      expect(result.stdout).toContain('1 image still pending (queued behind paused deployments');
    } finally {
      await deleteKeysWithPrefix(redis, `${prefix}-azure`);
      await simulator.close();
    }
  });
});
