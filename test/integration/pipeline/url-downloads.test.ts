import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { applyModelOverrides } from '../../../src/models/model-overrides.js';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createPendingDownloads } from '../../../src/queue/pending-downloads.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { createStoreBreaker } from '../../../src/storage/store-breaker.js';
import { useBlobHost } from '../../helpers/blob-host.js';
import { usePipeline, type Pipeline, type PipelineOptions } from '../../helpers/pipeline.js';
import { createFaultyStore, type FaultyStore } from '../../helpers/store-faults.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * dall-e-3 (the model that answers with a URL) is retired on Azure and refused; a model of its
 * shape added in the config keeps the download path covered.
 */
const DALLE_LIKE = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, { 'dalle-like': { like: 'dall-e-3' } }, 'test config'));
const DALLE = { name: 'dalle', model: 'dalle-like', ratePerMinute: 600, latency: { meanMs: 10, sdMs: 2 } };
const REQUEST = { id: 'kite', prompt: 'A red kite over a beach', model: 'dalle-like', responseFormat: 'url' } as const;

describe('images answered as a URL are downloaded under the fetch rules, and a paid image is never called for twice', () => {
  const open = usePipeline();
  const startBlobHost = useBlobHost();
  let redis: Redis | undefined;
  afterEach(async () => {
    await redis?.quit();
    redis = undefined;
  });

  async function run(simulator: PipelineOptions['simulator'], inputFetch?: PipelineOptions['inputFetch'], more: Partial<PipelineOptions> = {}): Promise<Pipeline> {
    const p = await open({ simulator: { deployments: [DALLE], ...simulator }, models: DALLE_LIKE, ...(inputFetch !== undefined && { inputFetch }), ...more });
    p.startWorker();
    await p.producer.enqueue([REQUEST], { batchId: 'urls' });
    return p;
  }

  function pendingDownloadsOf(p: Pipeline) {
    redis ??= createRedisConnection(p.redisUrl, 'worker');
    return createPendingDownloads(redis, createKeySpace(p.prefix));
  }

  /** The batch ended with the image failed for `reason`, after exactly one call, and nothing left to download. */
  async function expectRefusedAfterOneCall(p: Pipeline, reason: RegExp): Promise<void> {
    const summary = await p.waitForBatch('urls');
    expect(summary.counts).toMatchObject({ stored: 0, failed: 1 });
    const errors = await p.producer.batches.errors('urls');
    expect(errors['urls/kite-0']).toMatch(/generated \(and paid for\) but not kept: the image could not be downloaded: /);
    expect(errors['urls/kite-0']).toMatch(reason);
    // The job is over (failed), so no call can follow the one counted here.
    const job = await p.producer.queue.getJob('urls/kite/v0');
    expect(await job?.getState()).toBe('failed');
    expect(p.simulator.stats()).toHaveLength(1);
    expect((await pendingDownloadsOf(p).read('urls/kite/v0')).size).toBe(0);
    expect(await p.store.getRecord('urls/kite-0')).toBeNull();
  }

  it('downloads the image from the URL and stores it, after one call', async () => {
    const p = await run({});
    const summary = await p.waitForBatch('urls');
    expect(summary.counts.stored).toBe(1);
    expect(p.simulator.stats()).toHaveLength(1);
    const record = await p.store.getRecord('urls/kite-0');
    expect((await readFile(record?.location ?? '')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses a URL on a link-local address (cloud metadata) without connecting, and makes no second call', async () => {
    const p = await run({ filesBaseUrl: 'https://169.254.169.254/latest/meta-data' });
    await expectRefusedAfterOneCall(p, /169\.254\.169\.254 is a private or link-local address/);
  });

  it('refuses a redirect to another host', async () => {
    const blobs = await startBlobHost();
    blobs.mode = 'redirect_away';
    const p = await run({ filesBaseUrl: blobs.baseUrl });
    await expectRefusedAfterOneCall(p, /redirects to another host \(localhost:\d+\)/);
  });

  it('refuses an image over the size cap without reading it whole', async () => {
    const p = await run({ imageWidthPx: 256, imageHeightPx: 256 }, { maxDownloadBytes: 200 });
    await expectRefusedAfterOneCall(p, /over the limit of 200 bytes/);
  });

  it('refuses bytes that are not a PNG, JPEG or WEBP image (an HTML page answered 200)', async () => {
    const blobs = await startBlobHost();
    blobs.mode = 'html';
    const p = await run({ filesBaseUrl: blobs.baseUrl });
    await expectRefusedAfterOneCall(p, /not a PNG, JPEG or WEBP image \(declared text\/html\)/);
  });

  it('keeps the URL and the cause when the download fails, and downloads it later with 0 extra calls', async () => {
    const blobs = await startBlobHost();
    blobs.mode = 'unavailable';
    const p = await run({ filesBaseUrl: blobs.baseUrl });
    blobs.simulatorUrl = p.simulator.url;

    // The job's state holds the URL and why it failed, once a try has failed.
    const kept = await waitFor(
      async () => (await pendingDownloadsOf(p).read('urls/kite/v0')).get(0),
      10_000,
      () => `no pending download; blob host saw ${blobs.requests.length} request(s)`,
    );
    expect(kept.url).toMatch(new RegExp(`^${blobs.baseUrl}/[0-9a-f-]{36}\\.png$`));
    expect(kept.cause).toMatch(/HTTP 503/);
    expect(kept.expiresAtMs).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    expect((await p.producer.batches.summary('urls')).pending).toBe(1);

    blobs.mode = 'serve';
    const summary = await p.waitForBatch('urls');
    expect(summary.counts.stored).toBe(1);
    expect(p.simulator.stats()).toHaveLength(1);
    expect(blobs.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(blobs.requests).size).toBe(1);
    const record = await p.store.getRecord('urls/kite-0');
    expect(record).toMatchObject({ status: 'stored', attempts: 1, deployment: 'dalle' });
    expect(record?.revisedPrompt).toContain('A red kite over a beach');
    expect((await readFile(record?.location ?? '')).subarray(1, 4).toString()).toBe('PNG');
    expect((await pendingDownloadsOf(p).read('urls/kite/v0')).size).toBe(0);
  });

  it('a later download while the store cannot be written goes through the store guard: the breaker opens, the bytes wait in the spool, then land with 0 extra calls', async () => {
    const blobs = await startBlobHost();
    blobs.mode = 'unavailable';
    let faulty: FaultyStore | undefined;
    const p = await run({ filesBaseUrl: blobs.baseUrl }, undefined, {
      worker: { storeProbeMs: 200 },
      workerStore: (folderStore) => (faulty = createFaultyStore(folderStore, 'ENOSPC')),
    });
    blobs.simulatorUrl = p.simulator.url;
    await waitFor(async () => (await pendingDownloadsOf(p).read('urls/kite/v0')).get(0), 10_000, () => 'a pending download');

    if (faulty === undefined) throw new Error('the worker store was not made');
    faulty.isBroken = true;
    blobs.mode = 'serve';
    redis ??= createRedisConnection(p.redisUrl, 'worker');
    const breaker = createStoreBreaker(redis, createKeySpace(p.prefix));
    const opened = await waitFor(async () => {
      const state = await breaker.state();
      return state.kind === 'open' ? state : undefined;
    }, 10_000, () => 'the store breaker opened');
    expect(opened).toMatchObject({ code: 'disk_full' });
    await waitFor(async () => ((await breaker.spooledCount()) === 1 ? true : undefined), 10_000, () => 'the downloaded image marked as spooled');
    // The URL is no longer needed: the spool holds the bytes.
    expect((await pendingDownloadsOf(p).read('urls/kite/v0')).size).toBe(0);
    expect((await p.producer.batches.summary('urls')).pending).toBe(1);

    faulty.isBroken = false;
    const summary = await p.waitForBatch('urls');
    expect(summary.counts).toMatchObject({ stored: 1, failed: 0 });
    expect(p.simulator.stats()).toHaveLength(1);
    const record = await p.store.getRecord('urls/kite-0');
    expect(record).toMatchObject({ status: 'stored', attempts: 1, deployment: 'dalle' });
    expect((await readFile(record?.location ?? '')).subarray(1, 4).toString()).toBe('PNG');
    await waitFor(async () => ((await breaker.state()).kind === 'closed' ? true : undefined), 10_000, () => 'the breaker closed');
  });
});
