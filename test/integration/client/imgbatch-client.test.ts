import { afterEach, describe, expect, it } from 'vitest';
import { createImgbatchClient, type ImgbatchClient } from '../../../src/client/imgbatch-client.js';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { BatchWaitTimeoutError, ConfigError } from '../../../src/errors/imgbatch-error.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { rejection } from '../../helpers/rejection.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const kites = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `kite-${i}`, prompt: `kite ${i}`, model: 'gpt-image-1-mini', quality: 'low' }));

describe('the library client (createImgbatchClient) against an in-process worker', () => {
  const openPipeline = usePipeline();
  let client: ImgbatchClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });
  async function open(): Promise<{ p: Pipeline; c: ImgbatchClient }> {
    const p = await openPipeline({ simulator: { deployments: [GPT] }, worker: { pauseRecheckMs: 200 } });
    const c = (client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: p.store }));
    return { p, c };
  }

  it('enqueues, waits with progress, reads status and iterates every record, including a filtered one', async () => {
    const { p, c } = await open();
    p.startWorker();
    const enqueued = await c.enqueue([...kites(2), { id: 'bad', prompt: 'a gore scene', model: 'gpt-image-1-mini' }, { prompt: '', model: 'gpt-image-1-mini' }], { batchId: 'lib' });
    expect(enqueued).toMatchObject({ batchId: 'lib', accepted: 3, jobsAdded: 3 });
    expect(enqueued.rejected).toEqual([{ location: 'requests[3]', position: { index: 3 }, issues: [{ location: 'requests[3]', field: 'prompt', reason: 'must not be empty' }] }]);

    const seen: BatchSummary[] = [];
    const final = await c.waitForBatch('lib', { pollMs: 20, timeoutMs: 15_000, onProgress: (s) => seen.push(s) });
    expect(final).toMatchObject({ images: 3, pending: 0, counts: { stored: 2, filtered: 1 }, calls: 3 });
    expect(seen.at(-1)).toEqual(final);
    expect(await c.status('lib')).toEqual(final);

    const records: ImageRecord[] = [];
    for await (const record of c.results('lib')) records.push(record);
    expect(records.map((r) => `${r.key}:${r.status}`).sort()).toEqual(['lib/bad-0:filtered', 'lib/kite-0-0:stored', 'lib/kite-1-0:stored']);
  });

  it('pages results in key order with a cursor', async () => {
    const { p, c } = await open();
    p.startWorker();
    await c.enqueue(kites(5), { batchId: 'pages' });
    await c.waitForBatch('pages', { pollMs: 20, timeoutMs: 15_000 });
    const first = await c.resultsPage('pages', { limit: 2 });
    expect(first.items.map((r) => r.key)).toEqual(['pages/kite-0-0', 'pages/kite-1-0']);
    const second = await c.resultsPage('pages', { limit: 2, ...(first.nextCursor !== undefined && { cursor: first.nextCursor }) });
    expect(second.items.map((r) => r.key)).toEqual(['pages/kite-2-0', 'pages/kite-3-0']);
    const last = await c.resultsPage('pages', { limit: 2, ...(second.nextCursor !== undefined && { cursor: second.nextCursor }) });
    expect(last).toEqual({ items: [expect.objectContaining({ key: 'pages/kite-4-0' })] });
  });

  it('times out a wait with a typed error, cancels what has not started, and an enqueue after a cancel makes the images', async () => {
    const { p, c } = await open();
    await c.enqueue(kites(3), { batchId: 'later', priority: 'bulk' });
    expect(await c.status('later')).toMatchObject({ priority: 'bulk' });
    expect((await c.batchPage({ offset: 0, limit: 10 })).batches).toEqual([expect.objectContaining({ batchId: 'later', priority: 'bulk' })]);
    const timeout = await rejection(c.waitForBatch('later', { timeoutMs: 100, pollMs: 20 }));
    expect(timeout).toBeInstanceOf(BatchWaitTimeoutError);
    expect(timeout).toMatchObject({ code: 'TIMEOUT', batchId: 'later', pending: 3 });

    expect(await c.cancel('later')).toEqual({ batchId: 'later', jobsCancelled: 3, imagesCancelled: 3, jobsInFlight: 0 });
    expect(await c.waitForBatch('later', { timeoutMs: 1_000 })).toMatchObject({ pending: 0, counts: { cancelled: 3 } });

    await c.enqueue(kites(3), { batchId: 'later' });
    // Enqueued again without a priority: the batch keeps its own.
    expect(await c.status('later')).toMatchObject({ pending: 3, counts: { cancelled: 0 }, priority: 'bulk' });
    p.startWorker();
    expect(await c.waitForBatch('later', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ counts: { stored: 3, cancelled: 0 } });
  });

  it('refuses to read results without a store, with a message that says what to pass', async () => {
    const { p } = await open();
    const bare = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix });
    try {
      expect(() => bare.results('x')).toThrow(ConfigError);
      expect(await rejection(bare.resultsPage('x'))).toMatchObject({ message: expect.stringContaining('pass `store`') as unknown });
      await expect(bare.ping()).resolves.toBeUndefined();
    } finally {
      await bare.close();
    }
  });
});
