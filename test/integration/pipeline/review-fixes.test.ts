import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { resumeBatch } from '../../../src/batch/resume-batch.js';
import { ConfigError, ValidationError } from '../../../src/errors/imgbatch-error.js';
import { createJobState } from '../../../src/queue/job-state.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createProducer } from '../../../src/queue/producer.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { createAzureCallImages } from '../../../src/worker/image-worker.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC';

describe('edge cases found in review', () => {
  const open = usePipeline();

  it('keeps an image stored when a later part of the same call fails for good', async () => {
    let calls = 0;
    const p = await open({
      simulator: { deployments: [GPT] },
      worker: { attempts: 2, imagesPerCall: 2 },
      // The first answer holds one image and one unusable item; every later call fails with 500.
      callImages: () => {
        calls++;
        if (calls === 1) return Promise.resolve({ body: { created: 1, data: [{ b64_json: PNG_1PX }, { nothing: true }] }, latencyMs: 5 });
        return Promise.reject(Object.assign(new Error('boom'), { code: 'ECONNRESET' }));
      },
    });
    const producer = createProducer({ connection: p.redisUrl, prefix: p.prefix, imagesPerCall: 2 });
    try {
      await producer.enqueue([{ id: 'pair', prompt: 'two kites', n: 2, model: 'gpt-image-1-mini' }], { batchId: 'partial' });
      p.startWorker();
      const summary = await p.waitForBatch('partial');
      expect(summary.counts).toMatchObject({ stored: 1, failed: 1 });
      expect(await p.producer.batches.outcomeOf('partial', 'partial/pair-0')).toBe('stored');
      expect(await p.producer.batches.outcomeOf('partial', 'partial/pair-1')).toBe('failed');
      expect((await p.store.getRecord('partial/pair-0'))?.status).toBe('stored');
    } finally {
      await producer.close();
    }
  });

  it('refuses to enqueue a batch again with another images-per-call (one image would sit in two jobs)', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    await p.producer.enqueue([{ id: 'a', prompt: 'kite', n: 2, model: 'gpt-image-1-mini' }], { batchId: 'percall' });
    const other = createProducer({ connection: p.redisUrl, prefix: p.prefix, imagesPerCall: 2 });
    try {
      const attempt = other.enqueue([{ id: 'a', prompt: 'kite', n: 2, model: 'gpt-image-1-mini' }], { batchId: 'percall' });
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toThrow(/batch percall was enqueued with 1 images per call, not 2/);
      expect((await p.producer.batches.summary('percall')).images).toBe(2);
      expect((await p.producer.queue.getJobCounts('waiting')).waiting).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('remakes images whose jobs Redis no longer holds and whose files are gone, though their outcome said stored', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    const requests = [
      { id: 'x', prompt: 'kite', model: 'gpt-image-1-mini' },
      { id: 'y', prompt: 'boat', model: 'gpt-image-1-mini' },
    ];
    await p.producer.enqueue(requests, { batchId: 'retained' });
    await p.waitForBatch('retained');
    // As after BullMQ's retention: the jobs are gone, the outcomes remain; then the files go.
    await p.producer.queue.obliterate({ force: true });
    await rm(`${p.outputDir}/retained`, { recursive: true });
    await p.producer.enqueue(requests, { batchId: 'retained' });
    const redis = createRedisConnection(p.redisUrl, 'worker');
    try {
      const resumed = await resumeBatch({ queue: p.producer.queue, batches: p.producer.batches, jobState: createJobState(redis, createKeySpace(p.prefix)), store: p.store }, 'retained');
      expect(resumed.forgottenOutcomes).toBe(2);
    } finally {
      await redis.quit();
    }
    const summary = await p.waitForBatch('retained');
    expect(summary.counts.stored).toBe(2);
    expect((await p.store.getRecord('retained/x-0'))?.status).toBe('stored');
    expect(p.simulator.stats()).toHaveLength(4);
  });

  it('leaves a job for another worker when this one has no deployment for its model, instead of rejecting it', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'g2', prompt: 'a lake', model: 'gpt-image-2' }], { batchId: 'elsewhere' });
    // The worker has taken the job and put it back in the delayed set for another worker: its
    // decision is made, and it was not to reject or fail the image.
    await waitFor(
      async () => {
        const isLogged = p.logs.some((line) => line.msg === 'job delayed' && line.jobId === 'elsewhere/g2/v0' && String(line.reason).startsWith('no deployment here serves'));
        const state = await (await p.producer.queue.getJob('elsewhere/g2/v0'))?.getState();
        return isLogged && state === 'delayed' ? true : undefined;
      },
      10_000,
      () => 'the job was never put back in the delayed set',
    );
    const summary = await p.producer.batches.summary('elsewhere');
    expect(summary).toMatchObject({ pending: 1, counts: { rejected: 0, failed: 0 } });
    expect(p.logs.some((line) => String(line.msg).startsWith('no deployment configured in this worker serves model gpt-image-2'))).toBe(true);
  });

  it('refuses at start, not at the first call, a deployment the Azure client cannot call', () => {
    expect(() =>
      createAzureCallImages(
        [
          {
            name: 'bad',
            endpoint: 'https://example.openai.azure.com/',
            deployment: 'my images',
            model: 'gpt-image-1-mini',
            ratePerMinute: 6,
            apiVersion: '2025-04-01-preview',
            auth: { kind: 'api-key', apiKey: 'k' },
            quotaUnit: 'request',
            priority: 1,
            pools: [],
          },
        ],
        () => 1_000,
      ),
    ).toThrow(ConfigError);
  });
});
