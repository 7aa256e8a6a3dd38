import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';

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

describe('jobs added with plain BullMQ from the job contract (no imgbatch producer)', () => {
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
    // Added after the malformed job: the worker must still be alive to take it.
    await new Promise((r) => setTimeout(r, 300));
    await queue.add('generate', contractJob('lamp', 'A brass lamp'), { jobId: 'foreign/lamp/v0' });

    const deadline = Date.now() + 20_000;
    let summary = await p.producer.batches.summary('foreign');
    while (!(summary.images === 3 && summary.pending === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      summary = await p.producer.batches.summary('foreign');
    }
    expect(summary).toMatchObject({ images: 3, pending: 0, counts: { stored: 2, rejected: 1, failed: 0, filtered: 0, cancelled: 0 } });

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
});
