import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../../../src/storage/image-record.js';
import { createLogger } from '../../../../src/log/logger.js';
import { findKeptImages } from '../../../../src/worker/stages/find-kept-images.js';
import { createJobContext } from '../../../../src/worker/stages/job-context.js';
import { keepImages } from '../../../../src/worker/stages/keep-images.js';
import type { ImagesRead } from '../../../../src/worker/stages/send-call.js';
import { createFakePendingDownloads, createFakeStore, createOpenStoreGate, fakeJob, PNG_BYTES, type FakeStore } from '../../../helpers/processor-fakes.js';

const MADE = {
  deployment: 'east',
  counters: { calls: 2, freeCalls: 1, rateLimitWaits: 1, timeouts: 0, lastError: undefined },
  call: { latencyMs: 1_234, serviceRequestId: 'req-1' },
  cost: { usd: 0.02, perImageUsd: 0.01, source: 'usage' as const },
};

function keepDeps(store: FakeStore, downloadImage: (url: string) => Promise<Uint8Array>) {
  const settings = { backoffBaseMs: 1_000, backoffMaxMs: 60_000 };
  return { store, storeGate: createOpenStoreGate(store), pendingDownloads: createFakePendingDownloads(), downloadImage, settings, now: () => 0, logger: createLogger({ level: 'silent' }) };
}

describe('the keep stage', () => {
  const { id, data } = fakeJob({ variants: [4, 5] });

  it('keeps each returned image with its record (cost, attempts without 429s, the service request id) and each output-filtered item as a record', async () => {
    const store = createFakeStore();
    const ctx = createJobContext(id, data);
    const read: ImagesRead = {
      kind: 'images',
      images: [{ index: 0, bytes: PNG_BYTES, revisedPrompt: 'A red mug, glossy' }],
      filtered: [{ index: 1, filter: { stage: 'output', categories: ['violence'], code: 'content_filter', message: 'refused' } }],
      unusable: [],
      usage: { output_tokens: 272 },
    };
    const kept = await keepImages(keepDeps(store, () => Promise.reject(new Error('no url here'))), ctx, data.variants, read, MADE);
    expect(kept).toEqual({ kept: [{ variant: 4, status: 'stored' }, { variant: 5, status: 'filtered' }], spooled: [], lost: [] });
    expect(store.images.get('b/mug-4')).toEqual(PNG_BYTES);
    expect(store.records.get('b/mug-4')).toMatchObject({ status: 'stored', attempts: 1, costUsd: 0.01, costSource: 'usage', serviceRequestId: 'req-1', revisedPrompt: 'A red mug, glossy', usage: { output_tokens: 272 } });
    expect(store.records.get('b/mug-5')).toMatchObject({ status: 'filtered', filter: { stage: 'output', categories: ['violence'] } });
  });

  it('a store that refuses a write reports every image not kept, with the error, instead of throwing', async () => {
    const store = createFakeStore();
    store.putImage = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    const read: ImagesRead = { kind: 'images', images: [{ index: 0, bytes: PNG_BYTES }, { index: 1, bytes: PNG_BYTES }], filtered: [], unusable: [] };
    const kept = await keepImages(keepDeps(store, () => Promise.resolve(PNG_BYTES)), createJobContext(id, data), data.variants, read, MADE);
    expect(kept).toEqual({ kept: [], spooled: [], lost: [], notKept: { variants: [4, 5], message: 'generated but not kept: ENOSPC: no space left on device' } });
  });
});

describe('the "already kept?" stage', () => {
  it('splits the job\'s variants into those the store holds (with their status) and those still to make', async () => {
    const store = createFakeStore();
    store.records.set('b/mug-1', { key: 'b/mug-1', status: 'filtered' } as ImageRecord);
    const { id, data } = fakeJob({ variants: [0, 1] });
    expect(await findKeptImages(store, createJobContext(id, data))).toEqual({ kind: 'read', kept: [{ variant: 1, status: 'filtered' }], pending: [0] });
  });

  it('a store that cannot be read says so, with the error', async () => {
    const store = createFakeStore();
    store.isUnreadable = true;
    const { id, data } = fakeJob();
    expect(await findKeptImages(store, createJobContext(id, data))).toEqual({ kind: 'unreadable', message: 'connect ECONNREFUSED 127.0.0.1:10000' });
  });
});
