import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { maskPng, photoPng } from '../../helpers/edit-images.js';
import { useImageServer } from '../../helpers/image-server.js';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

/** Job data written by hand from contracts/image-job.schema.json, as a Python or Go producer would. */
function contractJob(requestId: string, prompt: string): Record<string, unknown> {
  return {
    v: 1,
    batchId: 'foreign',
    requestId,
    variants: [0],
    prompt,
    model: 'gpt-image-1-mini',
    size: '1024x1024',
    quality: 'low',
    metadata: { source: 'plain-bullmq' },
    enqueuedAt: Date.now(),
  };
}

async function waitForImages(p: Pipeline, batchId: string, images: number) {
  const deadline = Date.now() + 20_000;
  let summary = await p.producer.batches.summary(batchId);
  while (!(summary.images === images && summary.pending === 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    summary = await p.producer.batches.summary(batchId);
  }
  return summary;
}

describe('jobs added with plain BullMQ from the job contract (no imgbatch producer)', () => {
  const serveFiles = useImageServer();
  let pipeline: Pipeline | undefined;
  let queue: Queue | undefined;
  let connection: Redis | undefined;
  afterEach(async () => {
    await queue?.close();
    await connection?.quit();
    await pipeline?.close();
    pipeline = queue = connection = undefined;
  });

  it('are processed and stored; a malformed one ends rejected with a reason naming the field, and the worker keeps going', async () => {
    const p = (pipeline = await createPipeline({ simulator: { deployments: [GPT] } }));
    connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
    // Exactly what the contract says: queue "images", job name "generate", prefix in braces.
    queue = new Queue('images', { connection, prefix: `{${p.prefix}}` });
    queue.on('error', () => undefined);
    p.startWorker();

    await queue.add('generate', contractJob('mug', 'A red mug on a white table'), { jobId: 'foreign/mug/v0' });
    await queue.add('generate', { ...contractJob('broken', 'A kite'), size: 1024 }, { jobId: 'foreign/broken/v0' });
    // Added once the worker has failed the malformed job: it must still be alive to take this one.
    const jobs = queue;
    await waitFor(
      async () => ((await (await jobs.getJob('foreign/broken/v0'))?.getState()) === 'failed' ? true : undefined),
      10_000,
      () => 'the malformed job was never failed',
    );
    await queue.add('generate', contractJob('lamp', 'A brass lamp'), { jobId: 'foreign/lamp/v0' });

    const deadline = Date.now() + 20_000;
    let summary = await p.producer.batches.summary('foreign');
    while (!(summary.images === 3 && summary.pending === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      summary = await p.producer.batches.summary('foreign');
    }
    expect(summary).toMatchObject({ images: 3, pending: 0, priority: 'normal', counts: { stored: 2, rejected: 1, failed: 0, filtered: 0, cancelled: 0 } });

    for (const requestId of ['mug', 'lamp']) {
      expect(await p.store.getRecord(`foreign/${requestId}-0`)).toMatchObject({ status: 'stored', model: 'gpt-image-1-mini', metadata: { source: 'plain-bullmq' } });
    }
    const errors = await p.producer.batches.errors('foreign');
    expect(errors['foreign/broken-0']).toMatch(/invalid job payload: size: .*string/i);
    const broken = await queue.getJob('foreign/broken/v0');
    expect(await broken?.getState()).toBe('failed');
    expect(broken?.failedReason).toMatch(/size/);
    expect(await p.store.getRecord('foreign/broken-0')).toBeNull();
  });

  it('edit jobs with inputs as store copies or URLs and their hashes are called as edits; a wrong hash or a local path makes no call', async () => {
    const p = (pipeline = await createPipeline({ simulator: { deployments: [{ ...GPT, model: 'gpt-image-1.5' }] }, inputFetch: { allowLoopback: true } }));
    connection = new Redis(p.redisUrl, { maxRetriesPerRequest: null });
    queue = new Queue('images', { connection, prefix: `{${p.prefix}}` });
    queue.on('error', () => undefined);
    const photo = await photoPng(64, 64);
    const mask = await maskPng(64, 64);
    const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    // A producer in another language uploads its inputs where workers read them: here the store, and a web server.
    const key = await p.store.putInput('foreign-edits', photo, 'png');
    const site = await serveFiles({ '/mask.png': { bytes: mask, contentType: 'image/png' } });
    const editJob = (requestId: string, edit: Record<string, unknown>) => ({
      ...contractJob(requestId, 'Make the mug blue'),
      batchId: 'foreign-edits',
      model: 'gpt-image-1.5',
      edit,
    });
    p.startWorker();
    await queue.add('generate', editJob('ok', { images: [{ source: `store:${key}`, sha256: hash(photo) }], mask: { source: `${site}/mask.png`, sha256: hash(mask) } }), {
      jobId: 'foreign-edits/ok/v0',
    });
    await queue.add('generate', editJob('stale', { images: [{ source: `store:${key}`, sha256: 'f'.repeat(64) }] }), { jobId: 'foreign-edits/stale/v0' });
    await queue.add('generate', editJob('local', { images: [{ source: 'C:/photos/mug.png', sha256: hash(photo) }] }), { jobId: 'foreign-edits/local/v0' });

    const summary = await waitForImages(p, 'foreign-edits', 3);
    expect(summary).toMatchObject({ images: 3, pending: 0, counts: { stored: 1, failed: 1, rejected: 1 } });
    const errors = await p.producer.batches.errors('foreign-edits');
    expect(errors['foreign-edits/stale-0']).toMatch(/changed after it was enqueued.*no call made$/);
    expect(errors['foreign-edits/local-0']).toMatch(/invalid job payload: edit\.images\.0\.source: must be "store:/);
    expect(p.simulator.stats().map((call) => [call.clientRequestId, call.edit?.images[0]?.sha256, call.edit?.mask?.sha256])).toEqual([
      ['foreign-edits/ok-0', hash(photo), hash(mask)],
    ]);
    expect(await p.store.getRecord('foreign-edits/ok-0')).toMatchObject({ status: 'stored', inputs: { images: [{ source: `store:${key}`, sha256: hash(photo) }] } });
  });
});
