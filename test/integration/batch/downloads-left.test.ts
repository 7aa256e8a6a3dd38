import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchRegistry, type BatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace, type KeySpace } from '../../../src/queue/key-space.js';
import { createPendingDownloads, type PendingDownload, type PendingDownloads } from '../../../src/queue/pending-downloads.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

function downloadOf(batchId: string, key: string): PendingDownload {
  const record = { key, batchId, requestId: 'kite', variant: 0, status: 'stored', prompt: 'A kite', model: 'dalle-like', size: '1024x1024', quality: 'standard', deployment: 'dalle', latencyMs: 10, attempts: 1, createdAt: new Date().toISOString() } as const;
  return { url: 'https://images.example/kite.png', expiresAtMs: Date.now() + 3_600_000, tries: 1, cause: 'socket hang up', record };
}

describe("a job reads its pending downloads only when its batch ever left one (real Redis): one command less per image, none lost", () => {
  let redis: Redis;
  const prefix = uniquePrefix('downloads-left');
  let keys: KeySpace;
  let batches: BatchRegistry;
  let downloads: PendingDownloads;
  beforeAll(() => {
    redis = connectTestRedis();
    keys = createKeySpace(prefix);
    batches = createBatchRegistry(redis, keys);
    downloads = createPendingDownloads(redis, keys);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('a batch the producer made has left none: its jobs skip the read', async () => {
    await batches.addJobs('fresh', [{ jobId: 'fresh/a/v0', images: 1, line: '' }], 1);
    expect(await batches.startJob('fresh', 'fresh/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: false });
  });

  it('once a job of the batch keeps a download for later, every job of it reads them, and the download is there', async () => {
    await batches.addJobs('left', [{ jobId: 'left/a/v0', images: 1, line: '' }, { jobId: 'left/b/v0', images: 1, line: '' }], 1);
    await downloads.keep('left/a/v0', 0, downloadOf('left', 'left/kite-0'));
    expect(await batches.startJob('left', 'left/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
    expect(await batches.startJob('left', 'left/b/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
    expect((await downloads.read('left/a/v0')).get(0)?.url).toBe('https://images.example/kite.png');
    expect(await redis.pttl(keys.pendingDownloads('left/a/v0'))).toBeGreaterThan(3_600_000);
    // Dropped, the mark stays: the read costs a command, a missed download would cost a call.
    await downloads.drop('left/a/v0', 0);
    expect(await batches.startJob('left', 'left/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
  });

  it('a batch made before the mark was kept (no field), or by another client, reads them: a download left then is not called for again', async () => {
    await redis.hset(keys.batch('older'), 'createdAt', '1', 'images', '1', 'jobs', '1');
    await batches.addJobs('older', [{ jobId: 'older/a/v0', images: 1, line: '' }], 1);
    expect(await batches.startJob('older', 'older/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
    expect(await batches.startJob('foreign', 'foreign/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
  });

  it('keeping a download for a batch that is gone does not make its hash again', async () => {
    await downloads.keep('gone/a/v0', 0, downloadOf('gone', 'gone/kite-0'));
    expect(await redis.exists(keys.batch('gone'))).toBe(0);
    expect((await downloads.read('gone/a/v0')).size).toBe(1);
  });

  it('a batch made again after it was pruned, while a download of its jobs is still kept, reads them: the job ids are the same', async () => {
    await batches.addJobs('again', [{ jobId: 'again/a/v0', images: 1, line: '' }], 1);
    await downloads.keep('again/a/v0', 0, downloadOf('again', 'again/kite-0'));
    // Pruned: the batch's hash goes, the job's pending download stays (it outlives the batch).
    await redis.del(keys.batch('again'), keys.batchJobs('again'));
    await batches.addJobs('again', [{ jobId: 'again/a/v0', images: 1, line: '' }], 1);
    expect(await batches.startJob('again', 'again/a/v0', 1)).toMatchObject({ mayHaveDownloadsLeft: true });
    expect(await redis.pttl(keys.pendingDownloadBatches)).toBeGreaterThan(3_600_000);
  });
});
