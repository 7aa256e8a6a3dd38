import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { createBlobResultStore } from '../../../src/storage/blob-result-store.js';
import { createFsResultStore } from '../../../src/storage/fs-result-store.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { createRetryingResultStore } from '../../../src/storage/retrying-result-store.js';
import { freePort } from '../../helpers/free-port.js';
import { startAzurite, type RunningService } from '../../helpers/services.js';
import { describeResultStoreContract, filteredRecord, pngImage, pngLikeBytes, storedRecord, uniqueBatchId } from './result-store-contract.js';

interface RetryLog {
  readonly errors: StorageError[];
  readonly attempts: number[];
  readonly onRetry: (error: StorageError, attempt: number) => void;
}

function retryLog(onFirst?: () => void): RetryLog {
  const errors: StorageError[] = [];
  const attempts: number[] = [];
  return {
    errors,
    attempts,
    onRetry: (error, attempt) => {
      errors.push(error);
      attempts.push(attempt);
      if (errors.length === 1) onFirst?.();
    },
  };
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
}

const containerName = `imgbatch-retry-${Date.now().toString(36)}`;

afterAll(async () => {
  await BlobServiceClient.fromConnectionString(inject('azuriteConnectionString')).getContainerClient(containerName).deleteIfExists();
});
// The wrapper is itself a ResultStore: it must keep the contract of what it wraps.
describeResultStoreContract('retrying blob', () =>
  Promise.resolve({
    store: createRetryingResultStore(createBlobResultStore({ connectionString: inject('azuriteConnectionString'), container: containerName })),
    readImage: async (record: ImageRecord) => {
      const container = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString')).getContainerClient(containerName);
      return new Uint8Array(await container.getBlobClient((record.location ?? '').slice(container.url.length + 1)).downloadToBuffer());
    },
  }),
);

describe('retrying result store over a blob store whose Azurite goes away', () => {
  let azurite: (RunningService & { connectionString: string }) | undefined;

  afterEach(async () => {
    await azurite?.stop();
    azurite = undefined;
  });

  /**
   * Azurite is down when the write starts; it comes back (same port, empty: in-memory) once the
   * wrapper has seen the first failure, so the test does not depend on how fast anything is.
   */
  async function writeAcrossRestart(useBeforeStop: boolean): Promise<{ log: RetryLog; record: ImageRecord | null; bytes: Uint8Array; written: ImageRecord }> {
    const port = await freePort();
    azurite = await startAzurite({ port });
    const { connectionString } = azurite;
    const inner = createBlobResultStore({ connectionString, container: 'restart', requestTimeoutMs: 5_000 });
    const batchId = uniqueBatchId();
    if (useBeforeStop) await inner.putRecord(`${batchId}/before-0`, filteredRecord(`${batchId}/before-0`));
    await azurite.stop();

    let restarted: Promise<void> | undefined;
    const log = retryLog(() => {
      restarted = startAzurite({ port }).then((again) => {
        azurite = again;
      });
      // Awaited after the write; until then, keep a failed start from being an unhandled rejection.
      restarted.catch(() => undefined);
    });
    // Enough budget to outlast an Azurite start on a slow machine (~30 s of waits at most).
    const store = createRetryingResultStore(inner, { retries: 60, minTimeoutMs: 50, maxTimeoutMs: 500, onRetry: log.onRetry });
    const key = `${batchId}/paid-0`;
    const bytes = pngLikeBytes(100_000);
    const written = await store.putImage(key, pngImage(bytes), storedRecord(key));
    await restarted;
    return { log, record: await store.getRecord(key), bytes, written };
  }

  it('a write that starts while storage is down succeeds once it is back, retried only on transient errors', async () => {
    const { log, record, bytes, written } = await writeAcrossRestart(false);

    expect(log.errors.length).toBeGreaterThanOrEqual(1);
    expect(log.errors.every((error) => error.isTransient)).toBe(true);
    expect(log.errors[0]?.message).toContain('ECONNREFUSED');
    expect(log.attempts).toEqual(log.attempts.map((_, index) => index + 1));
    expect(record).toEqual(written);
    const service = BlobServiceClient.fromConnectionString(azurite?.connectionString ?? '');
    const container = service.getContainerClient('restart');
    const stored = await container.getBlobClient((written.location ?? '').slice(container.url.length + 1)).downloadToBuffer();
    expect(stored.equals(Buffer.from(bytes))).toBe(true);
  });

  it('a store that had made its container before storage restarted empty makes it again and the write succeeds', async () => {
    const { log, record, written } = await writeAcrossRestart(true);

    expect(log.errors.every((error) => error.isTransient)).toBe(true);
    // In-memory Azurite came back without the container the store had made.
    expect(log.errors.some((error) => error.message.includes('the container is gone'))).toBe(true);
    expect(record).toEqual(written);
  });

  it('gives up after `retries` retries and throws the last transient StorageError', async () => {
    const port = await freePort();
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    const log = retryLog();
    const store = createRetryingResultStore(createBlobResultStore({ connectionString, container: 'never' }), { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20, onRetry: log.onRetry });
    const key = `${uniqueBatchId()}/x-0`;

    const error = await errorOf(store.putRecord(key, filteredRecord(key)));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).isTransient).toBe(true);
    expect(log.attempts).toEqual([1, 2]);
  });
});

describe('retrying result store: what is never retried', () => {
  it('a key escaping the root is refused once, with no retry (blob and fs)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imgbatch-retry-fs-'));
    try {
      for (const inner of [
        createBlobResultStore({ connectionString: inject('azuriteConnectionString'), container: containerName }),
        createFsResultStore({ root }),
      ]) {
        const log = retryLog();
        const store = createRetryingResultStore(inner, { minTimeoutMs: 1, onRetry: log.onRetry });
        const error = await errorOf(store.putImage('../../escape-0', pngImage(), storedRecord('../../escape-0')));
        expect(error).toBeInstanceOf(StorageError);
        expect((error as StorageError).isTransient).toBe(false);
        expect(await errorOf(store.getRecord('/etc/passwd'))).toBeInstanceOf(StorageError);
        expect(log.errors).toHaveLength(0);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('an authorisation failure (403, wrong account key) is not retried', async () => {
    const wrongKey = Buffer.from('not the key'.padEnd(64, '!')).toString('base64');
    const log = retryLog();
    const inner = createBlobResultStore({
      connectionString: inject('azuriteConnectionString').replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`),
      container: containerName,
    });
    const store = createRetryingResultStore(inner, { minTimeoutMs: 1, onRetry: log.onRetry });
    const key = `${uniqueBatchId()}/x-0`;

    const error = await errorOf(store.putRecord(key, filteredRecord(key)));
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).isTransient).toBe(false);
    expect(log.errors).toHaveLength(0);
  });
});
