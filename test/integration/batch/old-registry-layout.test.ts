import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchRegistry, type BatchRegistry } from '../../../src/batch/batch-registry.js';
import { listManifestRows, type ManifestRow } from '../../../src/batch/list-manifest-rows.js';
import { readImageProblems } from '../../../src/batch/read-image-problems.js';
import { createKeySpace, type KeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

/**
 * A batch as imgbatch wrote it before its hashes and sets named images and jobs without the
 * batch id (before src/batch/batch-field.ts): every field the whole key, no reasons hash, no
 * `endedAt`. Written here by hand, command by command, as that version's scripts did.
 */
async function writeOldBatch(redis: Redis, keys: KeySpace, batchId: string): Promise<void> {
  await redis
    .multi()
    .hset(keys.batch(batchId), { createdAt: 1_765_000_000_000, imagesPerCall: 1, images: 4, jobs: 3, calls: 3 })
    .sadd(keys.batchJobs(batchId), `${batchId}/mug/v0`, `${batchId}/lamp/v0`, `${batchId}/vase/v0-1`)
    .hset(keys.batchOutcomes(batchId), `${batchId}/mug-0`, 'stored', `${batchId}/lamp-0`, 'failed', `${batchId}/vase-0`, 'skipped')
    .hset(keys.batchCounts(batchId), 'stored', 1, 'failed', 1, 'skipped', 1)
    .hset(keys.batchErrors(batchId), `${batchId}/lamp-0`, 'failed after 5 attempts; last error: server_error', `${batchId}/vase-0`, 'budget: $0.0100 of $0.0100 spent')
    .zadd(keys.batches, 1_765_000_000_000, batchId)
    .exec();
}

async function all<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

describe('a batch written in the registry layout before batch fields (whole keys) still reads right', () => {
  let redis: Redis;
  let keys: KeySpace;
  let registry: BatchRegistry;
  const prefix = uniquePrefix('oldlayout');

  beforeAll(async () => {
    redis = connectTestRedis();
    keys = createKeySpace(prefix);
    registry = createBatchRegistry(redis, keys);
    await writeOldBatch(redis, keys, 'old');
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('its status, job ids, outcomes and errors name the images and jobs as they are', async () => {
    expect(await registry.summary('old')).toMatchObject({ images: 4, jobs: 3, pending: 1, counts: { stored: 1, failed: 1, skipped: 1 } });
    expect((await all(registry.jobIds('old'))).sort()).toEqual(['old/lamp/v0', 'old/mug/v0', 'old/vase/v0-1']);
    expect((await all(registry.outcomes('old'))).sort()).toEqual([
      ['old/lamp-0', 'failed'],
      ['old/mug-0', 'stored'],
      ['old/vase-0', 'skipped'],
    ]);
    expect(Object.keys(await registry.errors('old')).sort()).toEqual(['old/lamp-0', 'old/vase-0']);
  });

  it('its problems are listed by image key, without a reason code (it kept none)', async () => {
    expect(await readImageProblems(redis, keys, 'old', 10)).toEqual({
      total: 2,
      images: [
        { imageKey: 'old/lamp-0', outcome: 'failed', message: 'failed after 5 attempts; last error: server_error' },
        { imageKey: 'old/vase-0', outcome: 'skipped', message: 'budget: $0.0100 of $0.0100 spent' },
      ],
    });
  });

  it('its manifest has one row per image with its request id', async () => {
    const rows: ManifestRow[] = [];
    for await (const row of listManifestRows({ store: { listRecords: async function* () {} }, batches: registry }, 'old')) rows.push(row);
    expect(rows.map((row) => [row.id, row.variant, row.status])).toEqual([
      ['lamp', 0, 'failed'],
      ['mug', 0, 'missing'],
      ['vase', 0, 'skipped'],
      ['vase', 1, 'pending'],
    ]);
  });
});
