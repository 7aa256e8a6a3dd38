import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listManifestRows, type ManifestRow } from '../../../src/batch/list-manifest-rows.js';
import { imageJobSchema } from '../../../src/job/image-job.js';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

describe('the results manifest of a finished batch', () => {
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
  });

  it('has one row per image and matches the files in the store; failed images carry their error and extra columns', async () => {
    const p = (pipeline = await createPipeline({ simulator: { deployments: [GPT] }, worker: { attempts: 1 } }));
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'mug', prompt: 'A red mug', n: 2, model: 'gpt-image-1-mini', metadata: { sku: 'M-1' } },
        { id: 'gore', prompt: 'A gore scene', model: 'gpt-image-1-mini', metadata: { sku: 'G-1' } },
        { id: 'lamp', prompt: 'A flaky lamp', model: 'gpt-image-1-mini', metadata: { sku: 'L-1' } },
      ],
      { batchId: 'shop' },
    );
    await p.waitForBatch('shop');

    const rows: ManifestRow[] = [];
    const deps = {
      store: p.store,
      batches: p.producer.batches,
      jobData: async (jobId: string) => {
        const parsed = imageJobSchema.safeParse((await p.producer.queue.getJob(jobId))?.data);
        return parsed.success ? parsed.data : undefined;
      },
    };
    for await (const row of listManifestRows(deps, 'shop')) rows.push(row);
    const byImage = Object.fromEntries(rows.map((row) => [`${row.id}-${row.variant}`, row]));
    expect(Object.keys(byImage).sort()).toEqual(['gore-0', 'lamp-0', 'mug-0', 'mug-1']);
    expect(byImage['mug-0']).toMatchObject({ status: 'stored', deployment: 'gpt', attempts: 1, metadata: { sku: 'M-1' } });
    expect(byImage['gore-0']).toMatchObject({ status: 'filtered', location: undefined, metadata: { sku: 'G-1' } });
    expect(byImage['gore-0']?.error).toMatch(/^content filter at the prompt stage/);
    expect(byImage['lamp-0']).toMatchObject({ status: 'failed', prompt: 'A flaky lamp', metadata: { sku: 'L-1' } });
    expect(byImage['lamp-0']?.error).toMatch(/500/);

    // Every stored row points at a file that exists, and every file in the batch folder is a row's image or record.
    const stored = rows.filter((row) => row.status === 'stored');
    for (const row of stored) await access(row.location ?? '');
    const files = (await readdir(join(p.outputDir, 'shop'))).sort();
    const expected = [
      ...stored.map((row) => (row.location ?? '').split('/').at(-1) ?? ''),
      ...rows.filter((row) => row.status === 'stored' || row.status === 'filtered').map((row) => `${row.id}-${row.variant}.json`),
    ].sort();
    expect(files).toEqual(expected);
  });
});
