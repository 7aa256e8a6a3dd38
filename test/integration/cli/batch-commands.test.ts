import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { startWorkerProcess, writeWorkerConfig } from '../../helpers/worker-process.js';
import { runCli, spawnCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';




/** Until `check` is true; a boolean wait on the shared poller. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitFor(async () => ((await check()) ? true : undefined), timeoutMs, () => `waiting for ${what}`, 50);
}

const SHOP_CSV = [
  'SKU,Product,Colour,Count,Deployment Model,Notes',
  'mug,mug,red,2,gpt-image-1-mini,"=HYPERLINK(""http://x"")"',
  'lamp,lamp,,1,gpt-image-1-mini,no colour',
  'vase,vase,blue,0,gpt-image-1-mini,-n is 0',
  'cap,cap,green,1,gpt-image-1-mini,',
].join('\r\n');

describe('imgbatch enqueue: templates, aliases, rejects file, --dry-run, --strict', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('csvcli');
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });
  const known = async (batchId: string): Promise<boolean> => (await createBatchRegistry(redis, createKeySpace(prefix)).summary(batchId)).createdAt !== undefined;
  const template = ['--prompt', 'Studio photo of a {product} in {colour}'];

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-csvcli-'));
    await writeFile(join(dir, 'shop.csv'), SHOP_CSV);
    await writeFile(join(dir, 'clean.csv'), ['sku,text,count,model', 'a,A kite,2,gpt-image-1-mini', 'b,A boat,1,gpt-image-1-mini'].join('\n'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('--dry-run counts rows, calls and images, writes the rejects beside the output, and enqueues nothing', async () => {
    const result = await runCli(['enqueue', join(dir, 'shop.csv'), ...template, '--dry-run', '--json'], env());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ batchId: 'shop', inputs: 4, accepted: 2, jobs: 3, images: 3, enqueued: false });
    expect(result.stderr).toContain('invalid: row 3: colour: is empty, and the prompt template "Studio photo of a {product} in {colour}" uses it');
    expect(result.stderr).toContain('invalid: row 4: n: 0 is below the minimum of 1');
    const rejects = await readFile(join(dir, 'output', 'shop.rejects.csv'), 'utf8');
    expect(rejects.split('\n')).toEqual([
      'row,field,reason,SKU,Product,Colour,Count,Deployment Model,Notes',
      '3,colour,"is empty, and the prompt template ""Studio photo of a {product} in {colour}"" uses it",lamp,lamp,,1,gpt-image-1-mini,no colour',
      "4,n,0 is below the minimum of 1,vase,vase,blue,0,gpt-image-1-mini,'-n is 0",
      '',
    ]);
    expect(await known('shop')).toBe(false);
  });

  it('run --dry-run checks the file against the deployments it would use, and starts nothing', async () => {
    const result = await runCli(['run', join(dir, 'shop.csv'), ...template, '--dry-run', '--json', '--batch', 'shop-run'], env());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      batchId: 'shop-run',
      inputs: 4,
      accepted: 2,
      invalidRows: 2,
      jobs: 3,
      images: 3,
      enqueued: false,
      estimate: expect.objectContaining({ images: 3, calls: 3 }) as unknown,
    });
    expect(result.stdout).not.toContain('embedded simulator');
    expect(await readdir(join(dir, 'output'))).not.toContain('shop-run');
  });

  it('--strict refuses a file with a bad row and enqueues nothing; a clean file goes in whole', async () => {
    const refused = await runCli(['enqueue', join(dir, 'shop.csv'), ...template, '--strict'], env());
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('batch shop: 4 rows: 2 valid, 2 refused; 3 images in 3 calls (--strict: nothing enqueued because rows were refused)');
    expect(await known('shop')).toBe(false);

    const clean = await runCli(['enqueue', join(dir, 'clean.csv'), '--strict', '--json'], env());
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ batchId: 'clean', accepted: 2, jobsAdded: 3, imagesAdded: 3, enqueued: true, rejectsFile: null });
  });

  it('enqueues the good rows with the template, and writes the refused ones to --rejects with their values neutralised', async () => {
    const rejectsPath = join(dir, 'elsewhere', 'refused.csv');
    const result = await runCli(['enqueue', join(dir, 'shop.csv'), ...template, '--rejects', rejectsPath, '--batch', 'shop-live', '--json'], env());
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ batchId: 'shop-live', accepted: 2, jobsAdded: 3, rejectsFile: rejectsPath });
    expect(result.stderr).toContain(`refused rows written to ${rejectsPath}`);
    // Not a terminal: progress comes as plain lines, the last one for the whole file.
    expect(result.stderr).toMatch(/^enqueue shop-live 100% of the file: 4 rows \(2 valid, 2 refused\), 3 new images in 3 jobs, \d+ rows\/s$/m);
    expect(result.stderr).not.toContain('\x1b[');
    const rows = parse<Record<string, string>>(await readFile(rejectsPath, 'utf8'), { columns: true });
    expect(rows.map((row) => [row.row, row.field, row.SKU, row.Notes])).toEqual([
      ['3', 'colour', 'lamp', 'no colour'],
      ['4', 'n', 'vase', "'-n is 0"],
    ]);
    const job = await createBatchRegistry(redis, createKeySpace(prefix)).summary('shop-live');
    expect(job).toMatchObject({ images: 3, jobs: 3 });
    const data = JSON.parse((await redis.hget(`{${prefix}}:images:shop-live/mug/v0`, 'data')) ?? '{}') as Record<string, unknown>;
    expect(data).toMatchObject({ prompt: 'Studio photo of a mug in red', metadata: { product: 'mug', colour: 'red', notes: '=HYPERLINK("http://x")' } });
  });
});

describe('imgbatch resume and imgbatch results on a batch stopped half way', () => {
  let redis: Redis;
  let dir: string;
  let simulator: Simulator;
  let configPath: string;
  const prefix = uniquePrefix('resume');
  const env = (): Record<string, string> => ({
    REDIS_URL: inject('redisUrl'),
    IMGBATCH_REDIS_PREFIX: prefix,
    IMGBATCH_OUTPUT_DIR: join(dir, 'output'),
    IMGBATCH_CONFIG: configPath,
    SIM_KEY: 'sim-key',
  });
  const images = 12;

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-resume-'));
    simulator = await createSimulator({ deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 250, sdMs: 20 } }] });
    // Two prompts fail once with a 500; with one attempt per job, their jobs fail.
    simulator.script({ promptIncludes: 'flaky-a' }, [{ kind: '500' }]);
    simulator.script({ promptIncludes: 'flaky-b' }, [{ kind: '500' }]);
    configPath = await writeWorkerConfig(dir, 'config.json', {
      deployments: [{ name: 'mini', endpoint: simulator.url, model: 'gpt-image-1-mini', ratePerMinute: 600 }],
      worker: { attempts: 1, concurrency: 1, backoffBaseMs: 50, backoffMaxMs: 200 },
    });
    const rows = ['id,prompt,model,campaign', 'fa,A flaky-a kite,gpt-image-1-mini,c-fa', 'fb,A flaky-b boat,gpt-image-1-mini,c-fb'];
    for (let i = 0; i < images - 2; i++) rows.push(`p${i},Product shot ${i},gpt-image-1-mini,c-${i}`);
    await writeFile(join(dir, 'catalog.csv'), rows.join('\n'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends with every image stored exactly once and no extra API call, and the manifest matches the store', async () => {
    const batches = createBatchRegistry(redis, createKeySpace(prefix));

    // 1. A run stopped half way (SIGTERM: calls in flight finish, the rest stays queued).
    const run = spawnCli(['run', join(dir, 'catalog.csv'), '--concurrency', '1'], env());
    await waitUntil(async () => {
      const summary = await batches.summary('catalog');
      return summary.counts.failed === 2 && summary.counts.stored >= 3;
    }, 40_000, 'the two failures and a few stored images');
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    const half = await batches.summary('catalog');
    expect(half.counts.stored).toBeLessThan(images - 2);
    expect(half.pending).toBeGreaterThan(0);

    // 2. resume: the failed jobs get fresh attempts; what is stored stays.
    const resumed = await runCli(['resume', 'catalog', '--json'], env());
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ batchId: 'catalog', retried: 2, requeued: 0, forgottenOutcomes: 0 });
    const text = await runCli(['resume', 'catalog'], env());
    expect(text.stdout).toContain('0 failed jobs retried with fresh attempts');

    // 3. A worker finishes the batch.
    const worker = startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, outputDir: join(dir, 'output'), configPath });
    try {
      await waitUntil(async () => (await batches.summary('catalog')).pending === 0, 40_000, 'the batch to finish');
    } finally {
      await worker.stop();
    }
    expect((await batches.summary('catalog')).counts).toMatchObject({ stored: images, failed: 0 });

    // Each image was paid for once: one successful call per image; the only other calls are the two scripted 500s.
    const calls = simulator.stats();
    const okByImage = new Map<string, number>();
    for (const call of calls.filter((c) => c.outcome === 'ok')) okByImage.set(call.clientRequestId ?? '', (okByImage.get(call.clientRequestId ?? '') ?? 0) + 1);
    expect(okByImage.size).toBe(images);
    expect([...okByImage.values()].every((count) => count === 1)).toBe(true);
    expect(calls.filter((c) => c.outcome !== 'ok').map((c) => c.outcome)).toEqual(['error_500', 'error_500']);
    const files = (await readdir(join(dir, 'output', 'catalog'))).sort();
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(images);
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(images);

    // 4. The manifest: one row per image, each pointing at its file in the store.
    const manifestPath = join(dir, 'catalog-manifest.csv');
    const results = await runCli(['results', 'catalog', '--format', 'csv', '--out', manifestPath], env());
    expect(results.code).toBe(0);
    expect(results.stderr).toContain(`${images} images of batch catalog written to ${manifestPath}`);
    const manifest = parse<Record<string, string>>(await readFile(manifestPath, 'utf8'), { columns: true });
    expect(manifest).toHaveLength(images);
    expect(manifest.every((row) => row.status === 'stored' && row.deployment === 'mini' && row.error === '')).toBe(true);
    expect(manifest.map((row) => row.location?.split('/').at(-1)).sort()).toEqual(files.filter((f) => f.endsWith('.png')));
    expect(manifest.find((row) => row.id === 'fa')).toMatchObject({ variant: '0', prompt: 'A flaky-a kite', campaign: 'c-fa' });

    const jsonl = await runCli(['results', 'catalog', '--format', 'jsonl'], env());
    const lines = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; metadata: Record<string, string> });
    expect(lines.map((line) => line.id).sort()).toEqual(manifest.map((row) => row.id).sort());
    expect(lines.find((line) => line.id === 'p3')?.metadata).toEqual({ campaign: 'c-3' });
  }, 120_000);

  it('results and resume name a batch that does not exist instead of printing an empty manifest', async () => {
    const results = await runCli(['results', 'no-such-batch'], env());
    expect(results.code).toBe(2);
    expect(results.stderr).toContain(`batch: no batch "no-such-batch" in Redis (key prefixes searched: ${prefix})`);
    const badFormat = await runCli(['results', 'catalog', '--format', 'xlsx'], env());
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format: "xlsx" is not allowed (allowed: csv, jsonl)');
  });
});
