import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImgbatchClient } from '../../../src/client/imgbatch-client.js';
import { enqueueResultSchema } from '../../../src/http/api-schemas.js';
import { useHttpServer } from '../../helpers/http-server.js';
import { waitForIdleQueue } from '../../helpers/job-events.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const TOKEN = 'resume-token-0123456789abcdef';
const MODEL = 'gpt-image-1-mini';
const ROWS = [
  { id: 'flaky', prompt: 'A flaky kite', model: MODEL, quality: 'low' },
  { id: 'boat', prompt: 'A boat', model: MODEL, quality: 'low' },
];

interface Served {
  readonly p: Pipeline;
  readonly client: ImgbatchClient;
  readonly post: (path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  readonly postCsv: (query: string, csv: string) => Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Only the calls whose prompt is this one: which images were asked for, and how often. */
function callsFor(p: Pipeline, prompt: string): number {
  return p.simulator.stats().filter((call) => call.prompt === prompt).length;
}

describe('resume and retry-failed over HTTP and the library client (real Redis, simulator, in-process worker)', () => {
  const openPipeline = usePipeline();
  const serve = useHttpServer();

  /** A batch whose `flaky` image failed (one attempt, a 500) and whose `boat` image was stored, then deleted from the store. */
  async function brokenBatch(batchId: string): Promise<Served> {
    const p = await openPipeline({ simulator: { deployments: [GPT] }, worker: { attempts: 1 } });
    const { base, client } = await serve(p, { apiToken: TOKEN });
    const post = async (path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const postCsv = async (query: string, csv: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${base}/v1/batches?${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' }, body: csv });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    p.startWorker();
    expect((await post('/v1/batches', { batchId, requests: ROWS })).status).toBe(202);
    expect(await client.waitForBatch(batchId, { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ counts: { stored: 1, failed: 1 } });
    await rm(join(p.outputDir, batchId, 'boat-0.json'));
    await rm(join(p.outputDir, batchId, 'boat-0.png'));
    return { p, client, post, postCsv };
  }

  it('POST /v1/batches/:id/retry-failed retries only the failed job; the image missing from the store stays missing', async () => {
    const { p, client, post } = await brokenBatch('retry');
    const retried = await post('/v1/batches/retry/retry-failed');
    expect(retried).toMatchObject({ status: 200, body: { batchId: 'retry', retried: 1, requeued: 0, forgottenOutcomes: 0, summary: { batchId: 'retry', pending: 1 } } });
    expect(await client.waitForBatch('retry', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 2, failed: 0 } });
    expect(callsFor(p, 'A flaky kite')).toBe(2);
    expect(callsFor(p, 'A boat')).toBe(1);
    expect(await p.store.getRecord('retry/boat-0')).toBeNull();
  });

  it('POST /v1/batches/:id/resume does what `imgbatch resume` does: the failed job retried, the budget set first; the image deleted from the store is made by enqueueing its row again', async () => {
    const { p, client, post } = await brokenBatch('whole');
    const resumed = await post('/v1/batches/whole/resume', { maxCostUsd: 5 });
    // Finished jobs leave Redis with their outcome: the deleted image has no job left to make it
    // again (forgotten, its outcome kept so the batch still ends); the failed job is retried.
    expect(resumed).toMatchObject({ status: 200, body: { retried: 1, requeued: 0, forgotten: 1, summary: { maxCostUsd: 5, pending: 1 } } });
    expect(await client.waitForBatch('whole', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 2, failed: 0 } });
    expect(callsFor(p, 'A flaky kite')).toBe(2);
    expect(await post('/v1/batches', { batchId: 'whole', requests: ROWS })).toMatchObject({ status: 202 });
    await waitForIdleQueue(p.producer.queue);
    expect(callsFor(p, 'A boat')).toBe(2);
    expect(await p.store.getRecord('whole/boat-0')).toMatchObject({ prompt: 'A boat' });
    // Stored images are never made again: a second resume queues nothing and calls nothing.
    expect(await post('/v1/batches/whole/resume', {})).toMatchObject({ status: 200, body: { retried: 0, requeued: 0, forgottenOutcomes: 0, summary: { pending: 0 } } });
    expect(p.simulator.stats()).toHaveLength(4);
  });

  it('the library client resumes and retries the failed the same way', async () => {
    const { p, client } = await brokenBatch('lib');
    expect(await client.retryFailed('lib')).toMatchObject({ retried: 1, requeued: 0 });
    expect(await client.waitForBatch('lib', { pollMs: 20, timeoutMs: 15_000 })).toMatchObject({ pending: 0, counts: { stored: 2 } });
    expect(await client.resume('lib')).toMatchObject({ retried: 0, requeued: 0, forgotten: 1 });
    await client.enqueue(ROWS, { batchId: 'lib' });
    await waitForIdleQueue(p.producer.queue);
    expect(callsFor(p, 'A boat')).toBe(2);
    expect(callsFor(p, 'A flaky kite')).toBe(2);
  });

  it('answers 404 for a batch it does not know and 400 for a budget below 0, queueing nothing', async () => {
    const { p, post } = await brokenBatch('known');
    expect(await post('/v1/batches/nope/resume', {})).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await post('/v1/batches/nope/retry-failed')).toMatchObject({ status: 404 });
    expect(await post('/v1/batches/known/resume', { maxCostUsd: -1 })).toMatchObject({ status: 400, body: { issues: [{ field: 'maxCostUsd' }] } });
    expect(await post('/v1/batches/known/resume', { colour: 'red' })).toMatchObject({ status: 400 });
    expect(await p.producer.batches.summary('known')).toMatchObject({ pending: 0, counts: { failed: 1 } });
  });

  it('POST /v1/batches into the same batch reports changed requests and keeps them; redoChanged (JSON field or CSV query) makes them again', async () => {
    const { p, post, postCsv } = await brokenBatch('edits');
    const edited = [{ ...ROWS[0], prompt: 'A flaky red kite' }, ROWS[1]];
    const kept = await post('/v1/batches', { batchId: 'edits', requests: edited });
    // The failed job is still the old request: reported as changed, kept, and retried as the batch's resume.
    expect(kept).toMatchObject({ status: 202, body: { changed: ['flaky'], redoneImages: 0, resumed: { retried: 1, requeued: 0 } } });
    expect(enqueueResultSchema.safeParse(kept.body).success).toBe(true);
    expect(await p.waitForBatch('edits', 15_000)).toMatchObject({ pending: 0, counts: { stored: 2 } });
    expect(await p.store.getRecord('edits/flaky-0')).toMatchObject({ prompt: 'A flaky kite' });

    const callsBefore = p.simulator.stats().length;
    const redone = await post('/v1/batches', { batchId: 'edits', requests: edited, redoChanged: true });
    expect(redone).toMatchObject({ status: 202, body: { changed: ['flaky'], redoneImages: 1 } });
    expect(await p.waitForBatch('edits', 15_000)).toMatchObject({ pending: 0, counts: { stored: 2 } });
    expect(p.simulator.stats().slice(callsBefore).map((call) => call.prompt)).toEqual(['A flaky red kite']);
    expect(await p.store.getRecord('edits/flaky-0')).toMatchObject({ prompt: 'A flaky red kite' });

    const csv = ['id,prompt,model,quality', 'flaky,A flaky red kite,gpt-image-1-mini,low', 'boat,A green boat,gpt-image-1-mini,low'].join('\n');
    expect(await postCsv('batchId=edits', csv)).toMatchObject({ status: 202, body: { changed: ['boat'], redoneImages: 0 } });
    expect(await postCsv('batchId=edits&redoChanged=true', csv)).toMatchObject({ status: 202, body: { changed: ['boat'], redoneImages: 1 } });
    expect(await p.waitForBatch('edits', 15_000)).toMatchObject({ pending: 0, counts: { stored: 2 } });
    expect(p.simulator.stats().slice(callsBefore + 1).map((call) => call.prompt)).toEqual(['A green boat']);
    expect(await postCsv('batchId=edits&redoChanged=yes', csv)).toMatchObject({ status: 400, body: { issues: [{ field: 'redoChanged' }] } });
  });
});
