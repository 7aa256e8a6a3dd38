import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createImgbatchClient, type ImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';
import type { ImageJobData } from '../../../src/job/image-job.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { rejection } from '../../helpers/rejection.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const MODEL = 'gpt-image-1-mini';
const FIRST = [
  { id: 'mug', prompt: 'A red mug', model: MODEL, quality: 'low' },
  { id: 'kite', prompt: 'A kite', model: MODEL, quality: 'low' },
  { id: 'boat', prompt: 'A boat', model: MODEL, quality: 'low' },
];
/** The same rows with two of them edited: mug's prompt and boat's quality. */
const EDITED = [
  { id: 'mug', prompt: 'A blue mug', model: MODEL, quality: 'low' },
  { id: 'kite', prompt: 'A kite', model: MODEL, quality: 'low' },
  { id: 'boat', prompt: 'A boat', model: MODEL, quality: 'medium' },
];

async function recordsOf(c: ImgbatchClient, batchId: string): Promise<Record<string, string>> {
  const records: ImageRecord[] = [];
  for await (const record of c.results(batchId)) records.push(record);
  return Object.fromEntries(records.map((r) => [r.key, `${r.prompt} (${r.quality})`]));
}

describe('enqueueing edited rows into the same batch', () => {
  const openPipeline = usePipeline();
  let client: ImgbatchClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });
  /** Makes FIRST into the batch; `queued` is each job's data as enqueued (finished jobs leave Redis). */
  async function madeBatch(batchId: string): Promise<{ p: Pipeline; c: ImgbatchClient; queued: ReadonlyMap<string, ImageJobData> }> {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const c = (client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: p.store }));
    await c.enqueue(FIRST, { batchId });
    const queued = new Map<string, ImageJobData>();
    for (const job of await p.producer.queue.getJobs(['waiting', 'prioritized'])) if (job.id !== undefined) queued.set(job.id, job.data);
    p.startWorker();
    await p.waitForBatch(batchId, 15_000);
    expect(p.simulator.stats()).toHaveLength(3);
    return { p, c, queued };
  }

  it('reports the changed ids, keeps the stored images and makes no call; --redo-changed then makes exactly those, keeping both images', async () => {
    const { p, c } = await madeBatch('shop');

    const kept = await c.enqueue(EDITED, { batchId: 'shop' });
    expect(kept).toMatchObject({ changed: ['boat', 'mug'], redoneImages: 0, changedInFlight: [], jobsAdded: 0, jobsAlreadyQueued: 3 });
    // Nothing was queued: no job of the queue is waiting, delayed or running, and no image of the batch is pending.
    expect(await c.status('shop')).toMatchObject({ pending: 0, counts: { stored: 3 } });
    expect(await p.producer.queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized')).toEqual({ waiting: 0, delayed: 0, active: 0, prioritized: 0 });
    expect(p.simulator.stats()).toHaveLength(3);
    expect(await recordsOf(c, 'shop')).toEqual({ 'shop/mug-0': 'A red mug (low)', 'shop/kite-0': 'A kite (low)', 'shop/boat-0': 'A boat (low)' });

    const redone = await c.enqueue(EDITED, { batchId: 'shop', redoChanged: true });
    expect(redone).toMatchObject({ changed: ['boat', 'mug'], redoneImages: 2, changedInFlight: [] });
    expect(await c.waitForBatch('shop', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 3 } });
    const calls = p.simulator.stats().slice(3);
    expect(calls.map((call) => call.clientRequestId).sort()).toEqual(['shop/boat-0', 'shop/mug-0']);
    expect(calls.map((call) => call.prompt).sort()).toEqual(['A blue mug', 'A boat']);
    expect(await recordsOf(c, 'shop')).toEqual({ 'shop/mug-0': 'A blue mug (low)', 'shop/kite-0': 'A kite (low)', 'shop/boat-0': 'A boat (medium)' });
    // The images of the old requests are kept beside the new ones, each with its record.
    const previous = (await readdir(join(p.outputDir, 'shop', 'previous'))).sort();
    expect(previous.map((name) => name.replace(/\.[0-9a-f]{32}\./, '.<fp>.'))).toEqual(['boat-0.<fp>.json', 'boat-0.<fp>.png', 'mug-0.<fp>.json', 'mug-0.<fp>.png']);
    expect((await readdir(join(p.outputDir, 'shop'))).filter((name) => name.endsWith('.png')).sort()).toEqual(['boat-0.png', 'kite-0.png', 'mug-0.png']);

    // The batch now holds the edited rows: enqueueing them again is no change and no call.
    expect(await c.enqueue(EDITED, { batchId: 'shop', redoChanged: true })).toMatchObject({ changed: [], redoneImages: 0 });
    expect(await c.status('shop')).toMatchObject({ pending: 0 });
    expect(p.simulator.stats()).toHaveLength(5);
  });

  it('a changed row still waiting in the queue is reported; with redoChanged the job is replaced and only the new request is made', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] } });
    const c = (client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: p.store }));
    await c.enqueue(FIRST, { batchId: 'queued' });
    expect(await c.enqueue(EDITED, { batchId: 'queued' })).toMatchObject({ changed: ['boat', 'mug'], redoneImages: 0 });
    expect(await c.enqueue(EDITED, { batchId: 'queued', redoChanged: true })).toMatchObject({ changed: ['boat', 'mug'], redoneImages: 2 });
    p.startWorker();
    expect(await c.waitForBatch('queued', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ images: 3, pending: 0, counts: { stored: 3 } });
    expect(p.simulator.stats().map((call) => call.prompt).sort()).toEqual(['A blue mug', 'A boat', 'A kite']);
    expect(await recordsOf(c, 'queued')).toEqual({ 'queued/mug-0': 'A blue mug (low)', 'queued/kite-0': 'A kite (low)', 'queued/boat-0': 'A boat (medium)' });
  });

  it('enqueueing into an existing batch resumes it, as the CLI does: a failed image is retried', async () => {
    const p = await openPipeline({ simulator: { deployments: [GPT] }, worker: { attempts: 1 } });
    const c = (client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: p.store }));
    p.simulator.script({ promptIncludes: 'mug' }, [{ kind: '500' }]);
    p.startWorker();
    await c.enqueue(FIRST.slice(0, 1), { batchId: 'again' });
    expect(await c.waitForBatch('again', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ counts: { failed: 1 } });

    const second = await c.enqueue(FIRST.slice(0, 1), { batchId: 'again' });
    expect(second).toMatchObject({ changed: [], resumed: { retried: 1 } });
    expect(await c.waitForBatch('again', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 1, failed: 0 } });
  });

  it('a worker makes again a stored image whose record was made for another request, and keeps one when either side has no fingerprint', async () => {
    const { p, c, queued } = await madeBatch('worker');
    const stored = await p.store.getRecord('worker/mug-0');
    const queuedMug = queued.get('worker/mug/v0');
    const queuedKite = queued.get('worker/kite/v0');
    expect(stored?.fingerprint).toBe(queuedMug?.fingerprint);
    if (queuedMug === undefined || queuedKite === undefined) throw new Error('the first enqueue left no jobs');
    await p.producer.queue.obliterate({ force: true });
    // As another producer would add them: mug asks for something else, kite carries no fingerprint.
    const { fingerprint: _kiteFingerprint, ...kiteWithout } = queuedKite;
    await p.producer.queue.add('generate', { ...queuedMug, prompt: 'A green mug', fingerprint: 'f'.repeat(32) }, { jobId: 'worker/mug/v0' });
    await p.producer.queue.add('generate', kiteWithout, { jobId: 'worker/kite/v0' });
    await p.producer.batches.clearOutcome('worker', 'worker/mug-0');
    await p.producer.batches.clearOutcome('worker', 'worker/kite-0');
    expect(await c.waitForBatch('worker', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 3 } });
    expect(p.simulator.stats().slice(3).map((call) => call.prompt)).toEqual(['A green mug']);
    expect(await p.store.getRecord('worker/mug-0')).toMatchObject({ prompt: 'A green mug', fingerprint: 'f'.repeat(32) });
    expect(await p.store.getRecord('worker/kite-0')).toMatchObject({ prompt: 'A kite', fingerprint: queuedKite.fingerprint });
  });

  it('a client without a store refuses to enqueue into a batch that exists, naming what to pass, and adds nothing', async () => {
    const { p, c } = await madeBatch('known');
    const bare = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix });
    try {
      const error = await rejection(bare.enqueue(EDITED, { batchId: 'known' }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ message: expect.stringContaining('pass `store`') as unknown });
      expect(await c.status('known')).toMatchObject({ images: 3, pending: 0 });
    } finally {
      await bare.close();
    }
  });
});
