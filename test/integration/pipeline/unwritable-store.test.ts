import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, generateAccountSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import type { CallRecord } from '../../../src/simulator/call-stats.js';
import { createBlobResultStore } from '../../../src/storage/blob-result-store.js';
import type { ResultStore } from '../../../src/storage/result-store.js';
import { createRetryingResultStore } from '../../../src/storage/retrying-result-store.js';
import { createStoreBreaker } from '../../../src/storage/store-breaker.js';
import { freePort } from '../../../src/cli/redis-server-process.js';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';
import { startAzurite, type RunningService } from '../../helpers/services.js';
import { createFaultyStore, fillDisk, remount, tryMountTmpfs, unmount } from '../../helpers/store-faults.js';
import { waitFor } from '../../helpers/wait-for.js';

// Slow enough calls and enough images that the batch is still running when the store breaks.
const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 6_000, latency: { meanMs: 300, sdMs: 20 } };
const IMAGES = 24;
/** Worker processes' worth of workers, one job each: "one call per worker" is then one call in flight each. */
const WORKERS = 3;

/** The store as createResultStore wraps it, with short backoffs: an outage is declared after these retries. */
function retrying(store: ResultStore): ResultStore {
  return createRetryingResultStore(store, { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 100 });
}

interface Outage {
  readonly label: string;
  /** Makes the store unwritable. */
  breakStore(): Promise<void>;
  /** What the operator does: frees space, fixes the rights, brings the store back. */
  repairStore(): Promise<void>;
  /** Reads an image's bytes from the store, to show it was kept. */
  readBack(key: string): Promise<Uint8Array | null>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Last made, first undone: a mount goes before the pipeline removes its folder.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openPipeline(workerStore: (folderStore: ResultStore) => ResultStore): Promise<{ p: Pipeline; redis: Redis; spoolDir: string }> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'imgbatch-spool-'));
  const p = await createPipeline({ simulator: { deployments: [GPT] }, worker: { concurrency: 1, storeProbeMs: 200, spoolDir }, workerStore });
  const redis = createRedisConnection(p.redisUrl, 'worker');
  cleanups.push(async () => {
    await redis.quit();
    await p.close();
    await rm(spoolDir, { recursive: true, force: true });
  });
  return { p, redis, spoolDir };
}

function callsOf(p: Pipeline, batchId: string): CallRecord[] {
  return p.simulator.stats().filter((call) => call.clientRequestId?.startsWith(`${batchId}/`) === true);
}

/**
 * The behaviour every outage must show: spending stops within one call per worker, paid
 * images wait in the spool, and after the repair every image is kept with no second call.
 */
async function expectNoPaidImageLost(p: Pipeline, redis: Redis, spoolDir: string, outage: Outage): Promise<void> {
  const batchId = `outage-${outage.label}`;
  for (let i = 0; i < WORKERS; i++) p.startWorker();
  await p.producer.enqueue(
    Array.from({ length: IMAGES }, (_, i) => ({ id: `img${i}`, prompt: `A lighthouse in a storm, study ${i}`, model: 'gpt-image-1-mini' })),
    { batchId },
  );
  await waitFor(async () => ((await p.producer.batches.summary(batchId)).counts.stored >= 2 ? true : undefined), 20_000, () => 'two images stored before the outage');

  await outage.breakStore();
  const breaker = createStoreBreaker(redis, createKeySpace(p.prefix));
  const opened = await waitFor(
    async () => {
      const state = await breaker.state();
      return state.kind === 'open' ? state : undefined;
    },
    30_000,
    () => 'the store breaker opened',
  );
  // Proof that jobs are turned away before calling, with the reason, several rounds over.
  const storeDelays = (): number => p.logs.filter((line) => line.msg === 'job delayed' && typeof line.reason === 'string' && line.reason.startsWith('store ')).length;
  await waitFor(() => Promise.resolve(storeDelays() >= 2 * WORKERS ? true : undefined), 30_000, () => `jobs delayed for the store: ${storeDelays()}`);
  // The write that opened the breaker keeps its image in the spool (fsynced, so it may come a little after).
  await waitFor(
    () => Promise.resolve(p.logs.some((line) => line.msg === 'paid image kept in the spool until the store takes writes again') ? true : undefined),
    20_000,
    () => 'a paid image kept in the spool',
  );
  const repairedAt = Date.now();
  const paidWhileBroken = callsOf(p, batchId).length;
  expect(paidWhileBroken).toBeLessThan(IMAGES);

  await outage.repairStore();
  const summary = await p.waitForBatch(batchId, 60_000);
  expect(summary.counts).toMatchObject({ stored: IMAGES, failed: 0, rejected: 0 });
  const calls = callsOf(p, batchId);
  // Spending stopped: the calls that reached the service after the breaker opened and before
  // the repair are those admitted just before it, at most one per worker.
  expect(calls.filter((call) => call.arrivedAtMs > opened.openedAt && call.arrivedAtMs < repairedAt).length).toBeLessThanOrEqual(WORKERS);
  // Every image paid once: no call for an image that was spooled.
  expect(calls).toHaveLength(IMAGES);
  expect(new Set(calls.map((call) => call.clientRequestId)).size).toBe(IMAGES);
  for (let i = 0; i < IMAGES; i++) {
    const bytes = await outage.readBack(`${batchId}/img${i}-0`);
    expect(bytes?.subarray(1, 4).toString()).toBe('PNG');
  }
  await waitFor(async () => ((await breaker.state()).kind === 'closed' ? true : undefined), 10_000, () => 'the breaker closed');
  expect(await breaker.spooledCount()).toBe(0);
  expect(await readdir(spoolDir)).toEqual([]);
}

async function folderReadBack(store: ResultStore, key: string): Promise<Uint8Array | null> {
  const record = await store.getRecord(key);
  return record === null ? null : ((await store.readImage(record))?.bytes ?? null);
}

describe('a store that cannot be written stops spending and keeps every paid image (real Redis, simulator over HTTP)', () => {
  it('a full disk (a small tmpfs filled up, or ENOSPC through the store where mounts are not allowed): calls stop, images wait in the spool, then land once space is freed', async () => {
    let faulty: ReturnType<typeof createFaultyStore> | undefined;
    const { p, redis, spoolDir } = await openPipeline((folderStore) => {
      faulty = createFaultyStore(folderStore, 'ENOSPC');
      return retrying(faulty);
    });
    const isMounted = await tryMountTmpfs(p.outputDir, 16 * 1024 * 1024);
    if (isMounted) cleanups.push(() => unmount(p.outputDir));
    let filler: string | undefined;
    await expectNoPaidImageLost(p, redis, spoolDir, {
      label: 'disk-full',
      async breakStore() {
        if (isMounted) filler = await fillDisk(p.outputDir);
        else if (faulty !== undefined) faulty.isBroken = true;
      },
      async repairStore() {
        if (filler !== undefined) await rm(filler);
        if (faulty !== undefined) faulty.isBroken = false;
      },
      readBack: (key) => folderReadBack(p.store, key),
    });
    const opened = p.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('store paused: the disk is full'));
    expect(opened).toMatchObject({ code: 'disk_full' });
  });

  it('a read-only folder (a tmpfs remounted read-only, or EROFS through the store): calls stop, images wait in the spool, then land once it is writable', async () => {
    let faulty: ReturnType<typeof createFaultyStore> | undefined;
    const { p, redis, spoolDir } = await openPipeline((folderStore) => {
      faulty = createFaultyStore(folderStore, 'EROFS');
      return retrying(faulty);
    });
    const isMounted = await tryMountTmpfs(p.outputDir, 64 * 1024 * 1024);
    if (isMounted) cleanups.push(() => unmount(p.outputDir));
    await expectNoPaidImageLost(p, redis, spoolDir, {
      label: 'read-only',
      async breakStore() {
        if (isMounted) await remount(p.outputDir, 'ro');
        else if (faulty !== undefined) faulty.isBroken = true;
      },
      async repairStore() {
        if (isMounted) await remount(p.outputDir, 'rw');
        if (faulty !== undefined) faulty.isBroken = false;
      },
      readBack: (key) => folderReadBack(p.store, key),
    });
    expect(p.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('store paused:'))).toMatchObject({ code: 'read_only' });
  });

  it('Azurite stopped mid-batch: calls stop after the store retries give up, images wait in the spool, then land in blob storage once Azurite is back', async () => {
    const location = await mkdtemp(join(tmpdir(), 'imgbatch-azurite-'));
    const port = await freePort();
    let azurite: RunningService & { connectionString: string } = await startAzurite({ port, location });
    cleanups.push(async () => {
      await azurite.stop();
      await rm(location, { recursive: true, force: true });
    });
    const container = `outage-${Date.now().toString(36)}`;
    const blobStore = createBlobResultStore({ connectionString: azurite.connectionString, container, requestTimeoutMs: 2_000 });
    const { p, redis, spoolDir } = await openPipeline(() => retrying(blobStore));
    await expectNoPaidImageLost(p, redis, spoolDir, {
      label: 'azurite',
      breakStore: () => azurite.stop(),
      async repairStore() {
        azurite = await startAzurite({ port, location });
      },
      readBack: (key) => folderReadBack(blobStore, key),
    });
    expect(p.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('store paused:'))).toMatchObject({ code: 'unreachable' });
  });

  it('a blob identity that may read but not write (an account SAS with read and list only: HTTP 403): calls stop, images wait in the spool, then land once the worker writes with a writer credential again', async () => {
    const location = await mkdtemp(join(tmpdir(), 'imgbatch-azurite-'));
    const azurite = await startAzurite({ location });
    cleanups.push(async () => {
      await azurite.stop();
      await rm(location, { recursive: true, force: true });
    });
    const accountKey = /AccountKey=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
    const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(azurite.connectionString)?.[1] ?? '';
    const readerSas = generateAccountSASQueryParameters(
      { permissions: AccountSASPermissions.parse('rl'), resourceTypes: AccountSASResourceTypes.parse('sco').toString(), services: AccountSASServices.parse('b').toString(), expiresOn: new Date(Date.now() + 3_600_000) },
      new StorageSharedKeyCredential('devstoreaccount1', accountKey),
    ).toString();
    const container = `forbidden-${Date.now().toString(36)}`;
    const writer = createBlobResultStore({ connectionString: azurite.connectionString, container, requestTimeoutMs: 2_000 });
    const reader = createBlobResultStore({ connectionString: `BlobEndpoint=${blobEndpoint};SharedAccessSignature=${readerSas}`, container, requestTimeoutMs: 2_000 });
    // The store's seam: the worker writes with the writer's credential, then with the reader's
    // (a role assignment taken away), then with the writer's again (given back).
    let current = writer;
    const switching: ResultStore = {
      kind: 'blob',
      description: writer.description,
      getRecord: (key) => current.getRecord(key),
      putImage: (key, image, record) => current.putImage(key, image, record),
      putRecord: (key, record) => current.putRecord(key, record),
      keepAside: (key) => current.keepAside(key),
      listRecords: (batchId) => current.listRecords(batchId),
      readImage: (record) => current.readImage(record),
      putInput: (batchId, bytes, extension) => current.putInput(batchId, bytes, extension),
      getInput: (key) => current.getInput(key),
      close: () => Promise.all([writer.close(), reader.close()]).then(() => undefined),
    };
    const { p, redis, spoolDir } = await openPipeline(() => retrying(switching));
    await expectNoPaidImageLost(p, redis, spoolDir, {
      label: 'forbidden',
      breakStore() {
        current = reader;
        return Promise.resolve();
      },
      repairStore() {
        current = writer;
        return Promise.resolve();
      },
      readBack: (key) => folderReadBack(writer, key),
    });
    const opened = p.logs.find((line) => typeof line.msg === 'string' && line.msg.startsWith('store paused:'));
    expect(opened).toMatchObject({ code: 'write_forbidden' });
    expect(String(opened?.error)).toContain('403');
  });

  it('an image spooled by a worker that is then stopped is written by the next worker started on the same spool, with no call for it', async () => {
    let faulty: ReturnType<typeof createFaultyStore> | undefined;
    const { p, redis, spoolDir } = await openPipeline((folderStore) => {
      faulty = createFaultyStore(folderStore, 'ENOSPC');
      return retrying(faulty);
    });
    if (faulty === undefined) throw new Error('the pipeline made no worker store');
    faulty.isBroken = true;
    const first = p.startWorker();
    await p.producer.enqueue([{ id: 'kept', prompt: 'A paper boat on a pond', model: 'gpt-image-1-mini' }], { batchId: 'restart' });
    const breaker = createStoreBreaker(redis, createKeySpace(p.prefix));
    await waitFor(async () => ((await breaker.spooledCount()) === 1 ? true : undefined), 20_000, () => 'the paid image spooled');
    await first.close();
    expect(callsOf(p, 'restart')).toHaveLength(1);

    faulty.isBroken = false;
    p.startWorker();
    const summary = await p.waitForBatch('restart', 30_000);
    expect(summary.counts).toMatchObject({ stored: 1, failed: 0 });
    expect(callsOf(p, 'restart')).toHaveLength(1);
    expect((await folderReadBack(p.store, 'restart/kept-0'))?.subarray(1, 4).toString()).toBe('PNG');
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
