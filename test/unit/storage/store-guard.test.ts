import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { createSilentLogger } from '../../../src/log/logger.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import type { ImageSpool, SpooledResult } from '../../../src/storage/image-spool.js';
import type { ResultStore, StoredImage } from '../../../src/storage/result-store.js';
import type { StoreAdmissionState, StoreBreaker, StoreBreakerState } from '../../../src/storage/store-breaker.js';
import { createStoreGuard, STORE_PROBE_KEY, type StoreGuard } from '../../../src/storage/store-guard.js';
import type { StoreUnwritable } from '../../../src/storage/store-write-failure.js';
import { toStorageError } from '../../../src/storage/to-storage-error.js';

/** The shared breaker as one Redis would hold it, in memory. */
class FakeBreaker implements StoreBreaker {
  opened: (StoreUnwritable & { by: string }) | undefined;
  readonly spooled = new Map<string, string>();
  resets = 0;
  /** Reads of the breaker: what a job run costs Redis. */
  admissions = 0;

  admission(imageKeys: readonly string[]): Promise<StoreAdmissionState> {
    this.admissions++;
    if (this.opened !== undefined) return Promise.resolve({ kind: 'store_paused', code: this.opened.code, message: this.opened.message, openedAt: 1 });
    const key = imageKeys.find((k) => this.spooled.has(k));
    return Promise.resolve(key === undefined ? { kind: 'open_for_calls', spoolsEmpty: this.spooled.size === 0 } : { kind: 'image_spooled', imageKey: key, holder: this.spooled.get(key) ?? '' });
  }
  state(): Promise<StoreBreakerState> {
    const o = this.opened;
    return Promise.resolve(o === undefined ? { kind: 'closed' } : { kind: 'open', code: o.code, message: o.message, openedAt: 1, openedBy: o.by });
  }
  open(failure: StoreUnwritable, by: string): Promise<boolean> {
    const isNew = this.opened === undefined;
    this.opened ??= { ...failure, by };
    return Promise.resolve(isNew);
  }
  reset(): Promise<void> {
    this.opened = undefined;
    this.resets++;
    return Promise.resolve();
  }
  markSpooled(imageKey: string, holder: string): Promise<void> {
    this.spooled.set(imageKey, holder);
    return Promise.resolve();
  }
  unmarkSpooled(imageKey: string): Promise<void> {
    this.spooled.delete(imageKey);
    return Promise.resolve();
  }
  spooledCount(): Promise<number> {
    return Promise.resolve(this.spooled.size);
  }
}

/** A spool that holds up to `capacity` results. */
class FakeSpool implements ImageSpool {
  readonly results = new Map<string, SpooledResult>();
  constructor(private readonly capacity = 100) {}
  put(result: SpooledResult): Promise<boolean> {
    if (this.results.size >= this.capacity) return Promise.resolve(false);
    this.results.set(result.key, result);
    return Promise.resolve(true);
  }
  keys(): Promise<string[]> {
    return Promise.resolve([...this.results.keys()]);
  }
  read(key: string): Promise<SpooledResult | undefined> {
    return Promise.resolve(this.results.get(key));
  }
  remove(key: string): Promise<void> {
    this.results.delete(key);
    return Promise.resolve();
  }
}

/** A store whose writes throw `failure` while it is set; counts the writes it was asked for. */
class FakeStore implements ResultStore {
  readonly kind = 'fake';
  readonly description = 'memory';
  readonly records = new Map<string, ImageRecord>();
  failure: Error | undefined;
  writes = 0;
  private write(key: string, record: ImageRecord): Promise<ImageRecord> {
    this.writes++;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.records.set(key, record);
    return Promise.resolve(record);
  }
  getRecord(key: string): Promise<ImageRecord | null> {
    return Promise.resolve(this.records.get(key) ?? null);
  }
  putImage(key: string, _image: StoredImage, record: ImageRecord): Promise<ImageRecord> {
    return this.write(key, record);
  }
  keepAside(key: string): Promise<ImageRecord | null> {
    const record = this.records.get(key) ?? null;
    this.records.delete(key);
    return Promise.resolve(record);
  }
  putRecord(key: string, record: ImageRecord): Promise<ImageRecord> {
    return this.write(key, record);
  }
  async *listRecords(): AsyncIterable<ImageRecord> {}
  readImage(): Promise<StoredImage | null> {
    return Promise.resolve(null);
  }
  putInput(): Promise<string> {
    return Promise.reject(new Error('not used'));
  }
  getInput(): Promise<Uint8Array | null> {
    return Promise.resolve(null);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const DISK_FULL = toStorageError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'write image b/r-0.png');
const IMAGE: StoredImage = { bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png', extension: 'png' };

function recordOf(key: string): ImageRecord {
  return { key, batchId: 'b', requestId: key.slice(2, -2), variant: 0, status: 'stored', prompt: 'p', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', deployment: 'd', latencyMs: 1, attempts: 1, createdAt: '2026-12-06T00:00:00.000Z' };
}

interface Setup {
  readonly guard: StoreGuard;
  readonly store: FakeStore;
  readonly breaker: FakeBreaker;
  readonly spool: FakeSpool;
  /** Waits the guard asked for (its probe interval), in order. */
  readonly sleeps: number[];
}

function setup(options: { spoolCapacity?: number; onSleep?: (store: FakeStore) => void; now?: () => number } = {}): Setup {
  const store = new FakeStore();
  const breaker = new FakeBreaker();
  const spool = new FakeSpool(options.spoolCapacity);
  const sleeps: number[] = [];
  const guard = createStoreGuard({
    store,
    breaker,
    spool,
    logger: createSilentLogger(),
    holder: 'host:1',
    probeIntervalMs: 250,
    recheckMs: 30_000,
    // A clock that stands still unless a test moves it: "for a moment" is then exact.
    now: options.now ?? (() => 0),
    sleep: (ms) => {
      sleeps.push(ms);
      options.onSleep?.(store);
      return Promise.resolve();
    },
  });
  return { guard, store, breaker, spool, sleeps };
}

describe('store guard: admission', () => {
  it('lets a job call while the store takes writes and none of its images is spooled', async () => {
    const { guard } = setup();
    expect(await guard.admit(['b/r-0'])).toEqual({ kind: 'call' });
  });

  it('turns a job away while the breaker is open, with the reason and the recheck delay, spending no attempt', async () => {
    const { guard, breaker } = setup();
    await breaker.open({ code: 'disk_full', message: 'write image failed (ENOSPC)' }, 'other:2');
    expect(await guard.admit(['b/r-0'])).toEqual({
      kind: 'wait',
      code: 'store_paused',
      storeCode: 'disk_full',
      reason: 'store paused: the disk is full (write image failed (ENOSPC)); no call starts until a probe write succeeds',
      retryInMs: 30_000,
    });
  });

  it('turns a job away whose image, already paid, waits in a spool: it is not called a second time', async () => {
    const { guard, breaker } = setup();
    await breaker.markSpooled('b/r-1', 'other:2');
    const admission = await guard.admit(['b/r-0', 'b/r-1']);
    expect(admission).toMatchObject({ kind: 'wait', code: 'image_spooled', retryInMs: 250 });
    expect(admission.kind === 'wait' && admission.reason).toContain('b/r-1 is paid for and kept in the spool of other:2');
  });

  it('trusts a closed breaker with empty spools for 250 ms without reading Redis, then reads it again', async () => {
    let clock = 1_000;
    const { guard, breaker } = setup({ now: () => clock });
    await guard.admit(['b/r-0']);
    clock += 249;
    expect(await guard.admit(['b/r-1'])).toEqual({ kind: 'call' });
    expect(breaker.admissions).toBe(1);
    await breaker.open({ code: 'disk_full', message: 'ENOSPC' }, 'other:2');
    clock += 1;
    expect(await guard.admit(['b/r-2'])).toMatchObject({ kind: 'wait', code: 'store_paused' });
    expect(breaker.admissions).toBe(2);
  });

  it('lets jobs that reach admission while a read is under way wait for that read instead of reading too', async () => {
    const { guard, breaker } = setup();
    const admissions = await Promise.all(['b/r-0', 'b/r-1', 'b/r-2'].map((key) => guard.admit([key])));
    expect(admissions).toEqual([{ kind: 'call' }, { kind: 'call' }, { kind: 'call' }]);
    expect(breaker.admissions).toBe(1);
  });

  it('stops trusting it at its own first failed write: the next job is turned away at once', async () => {
    const { guard, store } = setup();
    await guard.admit(['b/r-0']);
    store.failure = DISK_FULL;
    await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'));
    expect(await guard.admit(['b/r-1'])).toMatchObject({ kind: 'wait', code: 'store_paused' });
  });

  it('does not trust a closed breaker while an image waits in a spool: each job is looked up', async () => {
    const { guard, breaker } = setup();
    await breaker.markSpooled('b/r-9', 'other:2');
    await guard.admit(['b/r-0']);
    await breaker.markSpooled('b/r-1', 'other:2');
    expect(await guard.admit(['b/r-1'])).toMatchObject({ kind: 'wait', code: 'image_spooled' });
  });
});

describe('store guard: keeping a paid image', () => {
  it('writes it to the store while the store takes writes', async () => {
    const { guard, store, spool } = setup();
    expect(await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'))).toBe('stored');
    expect(store.records.has('b/r-0')).toBe(true);
    expect(spool.results.size).toBe(0);
  });

  it('opens the breaker and spools the image when the disk is full, marked so that no worker calls for it', async () => {
    const { guard, store, breaker, spool } = setup();
    store.failure = DISK_FULL;
    expect(await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'))).toBe('spooled');
    expect(breaker.opened).toMatchObject({ code: 'disk_full', by: 'host:1' });
    expect(spool.results.get('b/r-0')?.image?.bytes).toEqual(IMAGE.bytes);
    expect(breaker.spooled.get('b/r-0')).toBe('host:1');
  });

  it('once it knows the store is paused, spools the next images without another write to the store', async () => {
    const { guard, store } = setup();
    store.failure = DISK_FULL;
    await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'));
    expect(await guard.keepImage('b/r-1', IMAGE, recordOf('b/r-1'))).toBe('spooled');
    expect(await guard.keepRecord('b/r-2', { ...recordOf('b/r-2'), status: 'filtered' })).toBe('spooled');
    expect(store.writes).toBe(1);
  });

  it('rethrows a failure of that one write (a refused key) and opens nothing', async () => {
    const { guard, store, breaker } = setup();
    store.failure = new StorageError('refused key "x": expected exactly one "/"', { isTransient: false });
    await expect(guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'))).rejects.toThrow('refused key');
    expect(breaker.opened).toBeUndefined();
  });

  it('with the spool full, holds the image in its job and writes it as soon as the store takes writes again', async () => {
    let failedTries = 0;
    const { guard, store, spool, sleeps } = setup({
      spoolCapacity: 0,
      onSleep: (s) => {
        failedTries++;
        // Three probe intervals later the disk has room again.
        if (failedTries === 3) s.failure = undefined;
      },
    });
    store.failure = DISK_FULL;
    expect(await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'))).toBe('stored');
    expect(sleeps).toEqual([250, 250, 250]);
    expect(store.records.has('b/r-0')).toBe(true);
    expect(spool.results.size).toBe(0);
  });
});

describe('store guard: probe and flush', () => {
  it('leaves the breaker open and the spool as it is while the probe write fails', async () => {
    const { guard, store, breaker, spool } = setup();
    store.failure = DISK_FULL;
    await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'));
    await guard.flush();
    expect(breaker.opened).toBeDefined();
    expect(spool.results.has('b/r-0')).toBe(true);
    expect(store.records.size).toBe(0);
  });

  it('once a probe write lands, writes every spooled result to the store, removes their marks and closes the breaker', async () => {
    const { guard, store, breaker, spool } = setup();
    store.failure = DISK_FULL;
    await guard.keepImage('b/r-0', IMAGE, recordOf('b/r-0'));
    await guard.keepRecord('b/r-1', { ...recordOf('b/r-1'), status: 'filtered' });
    store.failure = undefined;
    await guard.flush();
    expect(store.records.has(STORE_PROBE_KEY)).toBe(true);
    expect(store.records.get('b/r-0')?.status).toBe('stored');
    expect(store.records.get('b/r-1')?.status).toBe('filtered');
    expect(spool.results.size).toBe(0);
    expect(breaker.spooled.size).toBe(0);
    expect(breaker.opened).toBeUndefined();
    expect(await guard.admit(['b/r-2'])).toEqual({ kind: 'call' });
    // Writes go to the store again, not the spool.
    expect(await guard.keepImage('b/r-2', IMAGE, recordOf('b/r-2'))).toBe('stored');
  });

  it('at start, writes what an earlier run left in the spool, with the breaker already closed', async () => {
    const { guard, store, breaker, spool } = setup();
    await spool.put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') });
    await breaker.markSpooled('b/r-0', 'host:0');
    await guard.flush();
    expect(store.records.has('b/r-0')).toBe(true);
    expect(breaker.spooled.size).toBe(0);
    expect(breaker.resets).toBe(0);
  });

  it('reopens the breaker when the store fails again in the middle of a flush, keeping what was not written', async () => {
    const { guard, store, breaker, spool } = setup();
    await spool.put({ key: 'b/r-0', image: IMAGE, record: recordOf('b/r-0') });
    store.failure = toStorageError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'upload blob b/r-0.png');
    await guard.flush();
    expect(breaker.opened).toMatchObject({ code: 'unreachable' });
    expect(spool.results.has('b/r-0')).toBe(true);
  });
});
