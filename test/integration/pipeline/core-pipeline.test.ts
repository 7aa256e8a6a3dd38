import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { resumeBatch } from '../../../src/batch/resume-batch.js';
import { createJobState } from '../../../src/queue/job-state.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { imageRecordSchema } from '../../../src/storage/image-record.js';
import { createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { applyModelOverrides } from '../../../src/models/model-overrides.js';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';
import { waitFor } from '../../helpers/wait-for.js';
import { waitForCompletion, waitForIdleQueue } from '../../helpers/job-events.js';
import { usePipeline, type Pipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
/**
 * dall-e-3 is retired on Azure (2026-03-04) and refused; a model of its shape added in the
 * config (one image per call, url answers, revised prompts) keeps those worker paths covered.
 */
const DALLE_LIKE = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, { 'dalle-like': { like: 'dall-e-3' } }, 'test config'));
const DALLE = { name: 'dalle', model: 'dalle-like', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };

describe('core pipeline against the simulator (in-process worker, real Redis, real HTTP)', () => {
  const open = usePipeline();

  const callsFor = (p: Pipeline, keyPrefix: string) => p.simulator.stats().filter((c) => c.clientRequestId?.startsWith(keyPrefix) === true);

  it('fans a request for 4 images of a one-image-per-call model (dall-e-3\'s shape) out into 4 calls of n=1 and stores 4 images with metadata', async () => {
    const p = await open({ simulator: { deployments: [DALLE] }, models: DALLE_LIKE });
    p.startWorker();
    const enqueued = await p.producer.enqueue([{ id: 'lake', prompt: 'A mountain lake at dawn', n: 4, model: 'dalle-like', style: 'natural' }], { batchId: 'fanout' });
    expect(enqueued).toMatchObject({ accepted: 1, jobsAdded: 4, imagesAdded: 4 });
    const summary = await p.waitForBatch('fanout');
    expect(summary.counts).toEqual({ stored: 4, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 });

    const calls = callsFor(p, 'fanout/');
    expect(calls).toHaveLength(4);
    expect(calls.every((c) => c.n === 1 && c.outcome === 'ok')).toBe(true);
    // Each call is in the deployment's call log once, written with its job's end.
    expect(await p.limiter.state('dalle')).toMatchObject({ callsLastMinute: 4, rateLimitedLastMinute: 0 });
    for (let variant = 0; variant < 4; variant++) {
      const record = await p.store.getRecord(`fanout/lake-${variant}`);
      expect(record).toMatchObject({ status: 'stored', model: 'dalle-like', deployment: 'dalle', size: '1024x1024', quality: 'standard', style: 'natural', attempts: 1 });
      expect(record?.revisedPrompt).toContain('A mountain lake at dawn');
      expect(record?.serviceRequestId).toMatch(/[0-9a-f-]{36}/);
      const bytes = await readFile(record?.location ?? '');
      expect(bytes.subarray(0, 4).toString('hex')).toBe('89504e47');
      expect(bytes.length).toBe(record?.sizeBytes);
    }
  });

  it('downloads a url answer (dall-e-3\'s shape) at once and stores the bytes', async () => {
    const p = await open({ simulator: { deployments: [DALLE] }, models: DALLE_LIKE });
    p.startWorker();
    await p.producer.enqueue([{ id: 'url', prompt: 'A red kite over a beach', model: 'dalle-like', responseFormat: 'url' }], { batchId: 'urlmode' });
    await p.waitForBatch('urlmode');
    const record = await p.store.getRecord('urlmode/url-0');
    expect(record?.status).toBe('stored');
    expect((await readFile(record?.location ?? '')).subarray(1, 4).toString()).toBe('PNG');
  });

  it.each([
    { stage: 'prompt', prompt: 'a gore scene', categories: ['violence'] },
    { stage: 'output', prompt: 'a quiet garden [output-filter]', categories: [] },
    { stage: 'output', prompt: 'a quiet garden [item-filter]', categories: [] },
  ])('a prompt filtered at the $stage stage ($prompt) is called once, recorded as filtered and never retried', async ({ stage, prompt, categories }) => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'f', prompt, model: 'gpt-image-1-mini' }], { batchId: 'filtered' });
    const summary = await p.waitForBatch('filtered');
    expect(summary.counts).toMatchObject({ filtered: 1, stored: 0, failed: 0 });
    // The job has completed: BullMQ never runs a completed job again, so no retry can follow
    // the one call counted here.
    expect(await waitForCompletion(p.redisUrl, p.producer.queue, 'filtered/f/v0')).toMatchObject({ outcomes: { 'filtered/f-0': 'filtered' }, calls: 1 });
    expect(callsFor(p, 'filtered/')).toHaveLength(1);
    const record = await p.store.getRecord('filtered/f-0');
    expect(record).toMatchObject({ status: 'filtered', filter: { stage } });
    expect(record?.filter?.categories).toEqual(categories);
    expect(record?.location).toBeUndefined();
  });

  it.each([
    { headers: 'ms-and-seconds', retryAfterMs: 1200, atLeastMs: 1200 },
    { headers: 'seconds', retryAfterMs: 1200, atLeastMs: 2000 },
    { headers: 'http-date', retryAfterMs: 2000, atLeastMs: 1000 },
    { headers: 'reset-requests', retryAfterMs: 1200, atLeastMs: 2000 },
    { headers: 'none', retryAfterMs: 1200, atLeastMs: 2000 },
  ] as const)('a 429 announcing its wait as $headers is waited out, then the image is stored without spending an attempt', async ({ headers, retryAfterMs, atLeastMs }) => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.simulator.script({ promptIncludes: 'throttled' }, [{ kind: '429', retryAfterMs, headers }]);
    p.startWorker();
    await p.producer.enqueue([{ id: 'r', prompt: 'a throttled kite', model: 'gpt-image-1-mini' }], { batchId: 'throttle' });
    const summary = await p.waitForBatch('throttle');
    expect(summary.counts.stored).toBe(1);
    expect(summary.rateLimitedCalls).toBe(1);
    const calls = callsFor(p, 'throttle/');
    expect(calls.map((c) => c.outcome)).toEqual(['rate_limited', 'ok']);
    const [first, second] = calls;
    expect((second?.arrivedAtMs ?? 0) - (first?.arrivedAtMs ?? 0)).toBeGreaterThanOrEqual(atLeastMs - 50);
    expect((await p.store.getRecord('throttle/r-0'))?.attempts).toBe(1);
  });

  it('sends no call to a deployment cooling down after a 429: other jobs wait for the same cooldown', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.simulator.script({ promptIncludes: 'first' }, [{ kind: '429', retryAfterMs: 1500, headers: 'ms-and-seconds' }]);
    p.startWorker();
    await p.producer.enqueue([{ id: 'a', prompt: 'first kite', model: 'gpt-image-1-mini' }], { batchId: 'cool' });
    // The second job comes once the limiter holds the cooldown the 429 started.
    await waitFor(
      async () => ((await p.limiter.state('gpt')).cooldownUntil ?? 0) > Date.now() ? true : undefined,
      10_000,
      () => `no cooldown on gpt; calls: ${JSON.stringify(callsFor(p, 'cool/').map((c) => c.outcome))}`,
      10,
    );
    await p.producer.enqueue([{ id: 'b', prompt: 'second kite', model: 'gpt-image-1-mini' }], { batchId: 'cool' });
    await p.waitForBatch('cool');
    const calls = callsFor(p, 'cool/');
    const throttledAt = calls.find((c) => c.outcome === 'rate_limited')?.arrivedAtMs ?? 0;
    const nextCalls = calls.filter((c) => c.arrivedAtMs > throttledAt);
    expect(nextCalls.length).toBe(2);
    for (const call of nextCalls) expect(call.arrivedAtMs - throttledAt).toBeGreaterThanOrEqual(1450);
  });

  it('retries a timeout and a 500, then stores the image', async () => {
    const p = await open({ simulator: { deployments: [GPT] }, worker: { timeoutMs: 400, attempts: 3 } });
    p.simulator.script({ promptIncludes: 'flaky' }, [{ kind: 'hang' }, { kind: '500' }]);
    p.startWorker();
    await p.producer.enqueue([{ id: 'x', prompt: 'a flaky kite', model: 'gpt-image-1-mini' }], { batchId: 'flaky' });
    const summary = await p.waitForBatch('flaky', 20_000);
    expect(summary.counts.stored).toBe(1);
    expect(callsFor(p, 'flaky/').map((c) => c.outcome)).toEqual(['hang', 'error_500', 'ok']);
    expect((await p.store.getRecord('flaky/x-0'))?.attempts).toBe(3);
  });

  it('fails a job whose calls always end in 500 after the bounded attempts, keeping the last error', async () => {
    const p = await open({ simulator: { deployments: [GPT], faults: { error500Rate: 1 } }, worker: { attempts: 3 } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'dead', prompt: 'a doomed kite', model: 'gpt-image-1-mini' }], { batchId: 'doomed' });
    const summary = await p.waitForBatch('doomed', 20_000);
    expect(summary.counts).toMatchObject({ failed: 1, stored: 0 });
    expect(callsFor(p, 'doomed/')).toHaveLength(3);
    const errors = await p.producer.batches.errors('doomed');
    expect(errors['doomed/dead-0']).toMatch(/failed after 3 attempts; last error: .*500.*server had an error/i);
    const job = await p.producer.queue.getJob('doomed/dead/v0');
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toMatch(/failed after 3 attempts/);
  });

  it('pauses a deployment that answers 401, keeps its jobs queued, and logs why and how to resume', async () => {
    const p = await open({
      simulator: { deployments: [GPT] },
      deployments: (ds) => ds.map((d) => ({ ...d, auth: { kind: 'api-key', apiKey: 'wrong-key' } })),
    });
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'k1', prompt: 'a kite', model: 'gpt-image-1-mini' },
        { id: 'k2', prompt: 'a kite', model: 'gpt-image-1-mini' },
        { id: 'k3', prompt: 'a kite', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'locked' },
    );
    const deadline = Date.now() + 10_000;
    while ((await p.limiter.state('gpt')).pausedReason === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await p.limiter.state('gpt')).pausedReason).toMatch(/^auth \(HTTP 401\): Access denied/);
    // Every job has been put back for the pause twice: once when the pause was found, and again
    // after coming back for its recheck. Each decision was made with the pause in place, and
    // nothing lifts it in this test, so no later run of these jobs can call.
    const jobIds = ['locked/k1/v0', 'locked/k2/v0', 'locked/k3/v0'];
    const pausedDelays = (jobId: string) =>
      p.logs.filter((line) => line.msg === 'job delayed' && line.jobId === jobId && /paused/.test(String(line.reason))).length;
    await waitFor(
      () => Promise.resolve(jobIds.every((jobId) => pausedDelays(jobId) >= 2) ? true : undefined),
      10_000,
      () => `delays for the pause: ${JSON.stringify(jobIds.map((jobId) => [jobId, pausedDelays(jobId)]))}`,
    );

    // One call found the bad key; the others never went out and nothing failed.
    expect(callsFor(p, 'locked/').map((c) => c.outcome)).toEqual(['unauthorized']);
    const summary = await p.producer.batches.summary('locked');
    expect(summary).toMatchObject({ pending: 3, counts: { failed: 0, rejected: 0, stored: 0 } });
    const counts = await p.producer.queue.getJobCounts('delayed', 'waiting', 'active', 'failed');
    expect(counts.failed).toBe(0);
    expect((counts.delayed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0)).toBe(3);
    const pauseLine = p.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('deployment gpt paused'));
    expect(pauseLine?.msg).toMatch(/Access denied.*imgbatch deployments resume gpt/);
  });

  it('makes no API call when the same batch is enqueued and run again', async () => {
    const p = await open({ simulator: { deployments: [GPT, DALLE] }, models: DALLE_LIKE });
    p.startWorker();
    const requests = [
      { id: 'a', prompt: 'a kite', n: 2, model: 'gpt-image-1-mini' },
      { id: 'b', prompt: 'a boat', model: 'dalle-like' },
      { id: 'c', prompt: 'a gore kite', model: 'gpt-image-1-mini' },
    ];
    await p.producer.enqueue(requests, { batchId: 'again' });
    await p.waitForBatch('again');
    const callsAfterFirstRun = p.simulator.stats().length;
    expect(callsAfterFirstRun).toBe(4);

    const second = await p.producer.enqueue(requests, { batchId: 'again' });
    expect(second).toMatchObject({ jobsAdded: 0, imagesAdded: 0, jobsAlreadyQueued: 4 });
    // Finished jobs left Redis with their outcomes; what the enqueue queued again finds every
    // image in the store. Once no job is left to run, no call can be made.
    await waitForIdleQueue(p.producer.queue);
    expect(p.simulator.stats()).toHaveLength(callsAfterFirstRun);
    expect((await p.waitForBatch('again')).counts).toMatchObject({ stored: 3, filtered: 1 });
  });

  it('skips the call for an image the store already holds, even when its job is new to Redis', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'once', prompt: 'a kite', model: 'gpt-image-1-mini' }], { batchId: 'storefirst' });
    const data = (await p.producer.queue.getJob('storefirst/once/v0'))?.data;
    expect(data).toMatchObject({ batchId: 'storefirst', requestId: 'once', variants: [0] });
    await p.waitForBatch('storefirst');
    await p.producer.queue.obliterate({ force: true });
    const again = await p.producer.enqueue([{ id: 'once', prompt: 'a kite', model: 'gpt-image-1-mini' }], { batchId: 'storefirst' });
    expect(again.jobsAdded).toBe(0);
    // Even a job added behind the registry's back (another producer) finds the stored image.
    await p.producer.queue.add('generate', data ?? ({} as never), { jobId: 'storefirst/once/v0' });
    // The job completed (the worker has decided), having sent no call of its own.
    expect(await waitForCompletion(p.redisUrl, p.producer.queue, 'storefirst/once/v0')).toMatchObject({ outcomes: { 'storefirst/once-0': 'stored' }, calls: 0 });
    expect(callsFor(p, 'storefirst/')).toHaveLength(1);
  });

  it('rejects, with the field named, a job whose payload does not match the schema, and keeps working', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.queue.add('generate', { v: 1, batchId: 'raw', requestId: 'bad', variants: [0], prompt: '', model: 'gpt-image-1-mini' } as never, { jobId: 'raw/bad/v0' });
    await p.producer.enqueue([{ id: 'good', prompt: 'a kite', model: 'gpt-image-1-mini' }], { batchId: 'raw' });
    const deadline = Date.now() + 10_000;
    let errors: Record<string, string> = {};
    while (Object.keys(errors).length === 0 && Date.now() < deadline) {
      errors = await p.producer.batches.errors('raw');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(errors['raw/bad-0']).toMatch(/invalid job payload: .*prompt/);
    await p.waitForBatch('raw');
    expect((await p.store.getRecord('raw/good-0'))?.status).toBe('stored');
  });

  it('writes records that the store schema reads back', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'meta', prompt: 'a kite', model: 'gpt-image-1-mini', quality: 'low', metadata: { sku: 'K-1' } }], { batchId: 'meta' });
    await p.waitForBatch('meta');
    const text = await readFile(`${p.outputDir}/meta/meta-0.json`, 'utf8');
    const record = imageRecordSchema.parse(JSON.parse(text));
    expect(record).toMatchObject({ quality: 'low', metadata: { sku: 'K-1' }, usage: { output_tokens: expect.any(Number) as number } });
  });

  it('resumes a batch: failed images retried; images deleted from the store made again by enqueueing again; stored ones never called again', async () => {
    const p = await open({ simulator: { deployments: [GPT] }, worker: { attempts: 2 } });
    p.simulator.script({ promptIncludes: 'unlucky' }, [{ kind: '500' }, { kind: '500' }]);
    p.startWorker();
    await p.producer.enqueue(
      [
        { id: 'keep', prompt: 'a kite', model: 'gpt-image-1-mini' },
        { id: 'lost', prompt: 'a boat', model: 'gpt-image-1-mini' },
        { id: 'unlucky', prompt: 'an unlucky boat', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'resume' },
    );
    const first = await p.waitForBatch('resume');
    expect(first.counts).toMatchObject({ stored: 2, failed: 1 });
    await rm(`${p.outputDir}/resume/lost-0.json`);
    await rm(`${p.outputDir}/resume/lost-0.png`);
    const callsBefore = callsFor(p, 'resume/').length;

    const redis = createRedisConnection(p.redisUrl, 'worker');
    try {
      const resumed = await resumeBatch(
        { queue: p.producer.queue, batches: p.producer.batches, jobState: createJobState(redis, createKeySpace(p.prefix)), store: p.store },
        'resume',
      );
      // Completed jobs leave Redis at once, so the deleted image's job is gone: resume says so.
      expect(resumed).toEqual({ forgottenOutcomes: 0, requeued: 0, retried: 1, forgotten: 1, uncancelled: 0, unskipped: 0, releasedReservations: 0 });
    } finally {
      await redis.quit();
    }
    await p.producer.enqueue(
      [
        { id: 'keep', prompt: 'a kite', model: 'gpt-image-1-mini' },
        { id: 'lost', prompt: 'a boat', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'resume' },
    );
    await waitFor(async () => (await p.store.getRecord('resume/lost-0')) ?? undefined, 20_000, () => 'resume/lost-0 stored again');
    const second = await p.waitForBatch('resume');
    expect(second.counts).toMatchObject({ stored: 3, failed: 0 });
    const newCalls = callsFor(p, 'resume/').slice(callsBefore);
    expect(newCalls.map((c) => c.clientRequestId).sort()).toEqual(['resume/lost-0', 'resume/unlucky-0']);
  });
});
