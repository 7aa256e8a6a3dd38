import { describe, expect, it } from 'vitest';
import { ConfigError, StorageError } from '../../../src/errors/imgbatch-error.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import type { ResultStore } from '../../../src/storage/result-store.js';
import { createRetryingResultStore, type RetryingResultStoreOptions } from '../../../src/storage/retrying-result-store.js';

function record(key: string): ImageRecord {
  const [batchId = '', name = ''] = key.split('/');
  return {
    key,
    batchId,
    requestId: name.split('-')[0] ?? '',
    variant: 0,
    status: 'filtered',
    prompt: 'p',
    model: 'dall-e-3',
    size: '1024x1024',
    quality: 'standard',
    deployment: 'east',
    latencyMs: 1,
    attempts: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * An in-memory ResultStore (a stand-in for our own interface, not for the storage SDK or fs)
 * that fails its next calls with the errors queued in `failures`.
 */
function flakyStore(failures: unknown[] = []) {
  const records = new Map<string, ImageRecord>();
  let calls = 0;
  let closed = 0;
  let listingsClosed = 0;
  function failMaybe(): void {
    calls++;
    if (failures.length > 0) throw failures.shift();
  }
  const store: ResultStore = {
    kind: 'memory',
    description: 'in memory',
    getRecord(key) {
      return Promise.resolve().then(() => {
        failMaybe();
        return records.get(key) ?? null;
      });
    },
    putImage(key, image, written) {
      return Promise.resolve().then(() => {
        failMaybe();
        const full = { ...written, location: `memory:${key}`, contentType: image.contentType, sizeBytes: image.bytes.byteLength };
        records.set(key, full);
        return full;
      });
    },
    putRecord(key, written) {
      return Promise.resolve().then(() => {
        failMaybe();
        records.set(key, written);
        return written;
      });
    },
    keepAside(key) {
      return Promise.resolve().then(() => {
        failMaybe();
        const record = records.get(key) ?? null;
        records.delete(key);
        return record;
      });
    },
    readImage() {
      return Promise.resolve().then(() => {
        failMaybe();
        return null;
      });
    },
    putInput(batchId) {
      return Promise.resolve().then(() => {
        failMaybe();
        return `${batchId}/inputs/${'0'.repeat(64)}.png`;
      });
    },
    getInput() {
      return Promise.resolve().then(() => {
        failMaybe();
        return null;
      });
    },
    async *listRecords(batchId) {
      try {
        for (const [key, value] of records) {
          if (!key.startsWith(`${batchId}/`)) continue;
          await Promise.resolve();
          failMaybe();
          yield value;
        }
      } finally {
        listingsClosed++;
      }
    },
    close() {
      closed++;
      return Promise.resolve();
    },
  };
  return {
    store,
    records,
    failures,
    get calls() {
      return calls;
    },
    get closed() {
      return closed;
    },
    get listingsClosed() {
      return listingsClosed;
    },
  };
}

function retrying(inner: ResultStore, options: RetryingResultStoreOptions = {}) {
  const retries: { error: StorageError; attempt: number }[] = [];
  const store = createRetryingResultStore(inner, {
    minTimeoutMs: 1,
    maxTimeoutMs: 2,
    onRetry: (error, attempt) => retries.push({ error, attempt }),
    ...options,
  });
  return { store, retries };
}

const transient = () => new StorageError('503 ServerBusy', { isTransient: true });
const terminal = () => new StorageError('403 AuthorizationFailure', { isTransient: false });

describe('createRetryingResultStore', () => {
  it('retries a transient StorageError until the write succeeds, reporting each retry', async () => {
    const inner = flakyStore([transient(), transient()]);
    const { store, retries } = retrying(inner.store);

    const written = await store.putImage('b/r-0', { bytes: new Uint8Array([1, 2]), contentType: 'image/png', extension: 'png' }, record('b/r-0'));
    expect(written.sizeBytes).toBe(2);
    expect(inner.calls).toBe(3);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2]);
    expect(retries.every((retry) => retry.error.isTransient)).toBe(true);
  });

  it('retries copying and reading inputs of edits like any other store call', async () => {
    const inner = flakyStore([transient(), transient()]);
    const { store, retries } = retrying(inner.store);

    expect(await store.putInput('b', new Uint8Array([1]), 'png')).toBe(`b/inputs/${'0'.repeat(64)}.png`);
    expect(await store.getInput(`b/inputs/${'0'.repeat(64)}.png`)).toBeNull();
    expect(inner.calls).toBe(4);
    expect(retries).toHaveLength(2);
  });

  it('turns a raw network error into a transient StorageError and retries it', async () => {
    const inner = flakyStore([withCode('read ECONNRESET', 'ECONNRESET')]);
    const { store, retries } = retrying(inner.store);

    await store.putRecord('b/r-0', record('b/r-0'));
    expect(inner.calls).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toBeInstanceOf(StorageError);
    expect(retries[0]?.error.cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it('never retries a non-transient StorageError', async () => {
    const inner = flakyStore([terminal()]);
    const { store, retries } = retrying(inner.store);

    await expect(store.getRecord('b/r-0')).rejects.toMatchObject({ isTransient: false, message: '403 AuthorizationFailure' });
    expect(inner.calls).toBe(1);
    expect(retries).toHaveLength(0);
  });

  it('never retries an error that is not about storage, and rethrows it as it was', async () => {
    const bug = new TypeError('Cannot read properties of undefined');
    const inner = flakyStore([bug]);
    const { store, retries } = retrying(inner.store);

    await expect(store.getRecord('b/r-0')).rejects.toBe(bug);
    expect(inner.calls).toBe(1);
    expect(retries).toHaveLength(0);
  });

  it('gives up after `retries` retries with the last transient error', async () => {
    const inner = flakyStore([transient(), transient(), transient(), transient()]);
    const { store, retries } = retrying(inner.store, { retries: 2 });

    await expect(store.putRecord('b/r-0', record('b/r-0'))).rejects.toMatchObject({ isTransient: true });
    expect(inner.calls).toBe(3);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2]);
  });

  it('waits with backoff between tries, within minTimeoutMs and maxTimeoutMs', async () => {
    const inner = flakyStore([transient(), transient()]);
    const { store } = retrying(inner.store, { minTimeoutMs: 40, maxTimeoutMs: 60 });
    const startedAt = performance.now();
    await store.getRecord('b/r-0');
    const elapsedMs = performance.now() - startedAt;
    // First wait 40-60 ms, second 60 ms (capped).
    expect(elapsedMs).toBeGreaterThanOrEqual(95);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('a listing that fails midway starts over and yields every record exactly once', async () => {
    const inner = flakyStore();
    for (const key of ['b/a-0', 'b/b-0', 'b/c-0', 'other/a-0']) inner.records.set(key, record(key));
    const { store, retries } = retrying(inner.store);
    const listed: string[] = [];
    for await (const item of store.listRecords('b')) {
      listed.push(item.key);
      // After two records, the inner listing fails on its next step; a record also arrives meanwhile.
      if (listed.length === 2 && retries.length === 0) {
        inner.failures.push(withCode('read ECONNRESET', 'ECONNRESET'));
        inner.records.set('b/z-0', record('b/z-0'));
      }
    }
    expect(listed.sort()).toEqual(['b/a-0', 'b/b-0', 'b/c-0', 'b/z-0']);
    expect(retries).toHaveLength(1);
  });

  it('a listing that fails for good throws after `retries` retries', async () => {
    const inner = flakyStore([transient(), transient(), transient()]);
    inner.records.set('b/a-0', record('b/a-0'));
    const { store, retries } = retrying(inner.store, { retries: 2 });
    const consume = async () => {
      for await (const _ of store.listRecords('b')) {
        // drain
      }
    };
    await expect(consume()).rejects.toMatchObject({ isTransient: true });
    expect(retries).toHaveLength(2);
  });

  it('a consumer that stops reading a listing early closes the inner listing', async () => {
    const inner = flakyStore();
    for (const key of ['b/a-0', 'b/b-0']) inner.records.set(key, record(key));
    const { store } = retrying(inner.store);
    for await (const _ of store.listRecords('b')) break;
    expect(inner.listingsClosed).toBe(1);
  });

  it('still retries when onRetry throws: a failing logger must not cost the write', async () => {
    const inner = flakyStore([transient()]);
    const store = createRetryingResultStore(inner.store, {
      minTimeoutMs: 1,
      onRetry: () => {
        throw new Error('logger broke');
      },
    });
    await store.putRecord('b/r-0', record('b/r-0'));
    expect(inner.records.has('b/r-0')).toBe(true);
  });

  it('passes kind, description and close through to the inner store', async () => {
    const inner = flakyStore();
    const { store } = retrying(inner.store);
    expect(store.kind).toBe('memory');
    expect(store.description).toBe('in memory');
    await store.close();
    expect(inner.closed).toBe(1);
  });

  it.each<[RetryingResultStoreOptions]>([[{ retries: -1 }], [{ retries: 1.5 }], [{ minTimeoutMs: Number.NaN }], [{ minTimeoutMs: 100, maxTimeoutMs: 50 }]])(
    'refuses options %j with a ConfigError',
    (options) => {
      expect(() => createRetryingResultStore(flakyStore().store, options)).toThrow(ConfigError);
    },
  );
});
