import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { runCli } from '../../helpers/run-cli.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

describe('imgbatch gallery', () => {
  const openPipeline = usePipeline();
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const env = (p: Pipeline): Record<string, string> => ({ REDIS_URL: p.redisUrl, IMGBATCH_REDIS_PREFIX: p.prefix, IMGBATCH_OUTPUT_DIR: p.outputDir });

  it('splits a batch larger than --max-images into pages in id order, each saying which part it holds', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue(
      ['row-1', 'row-2', 'row-10'].map((id) => ({ id, prompt: `Product ${id}`, model: 'gpt-image-1-mini' })),
      { batchId: 'paged' },
    );
    await p.waitForBatch('paged');
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-gallery-cli-'));

    const first = await runCli(['gallery', 'paged', '--max-images', '2', '--out', join(dir, 'p1.html')], env(p));
    expect(first.stderr).toMatch(/^2 of 3 images of batch paged written to /);
    const second = await runCli(['gallery', 'paged', '--max-images', '2', '--page', '2', '--out', join(dir, 'p2.html')], env(p));
    expect(second.code).toBe(0);
    const ids = async (file: string): Promise<string[]> => [...(await readFile(join(dir ?? '', file), 'utf8')).matchAll(/data-id="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(await ids('p1.html')).toEqual(['row-1', 'row-2']);
    expect(await ids('p2.html')).toEqual(['row-10']);
    expect(await readFile(join(dir, 'p2.html'), 'utf8')).toContain('Page 2 of 2: images 3–3 of 3 in id order.');

    const past = await runCli(['gallery', 'paged', '--max-images', '2', '--page', '3', '--out', join(dir, 'p3.html')], env(p));
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('--page: 3 is past the last page: 3 images make 2 page(s) of 2');
  });

  it('names a batch that does not exist and refuses a bad --max-images, writing nothing', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-gallery-cli-'));
    const unknown = await runCli(['gallery', 'no-such-batch', '--out', join(dir, 'x.html')], env(p));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no batch "no-such-batch" in Redis');
    const bad = await runCli(['gallery', 'no-such-batch', '--max-images', '0', '--out', join(dir, 'x.html')], env(p));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-images: "0" is not a whole number ≥ 1');
    await expect(readFile(join(dir, 'x.html'))).rejects.toThrow(/ENOENT/);
  });
});
