import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchRegistry, type BatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace, type KeySpace } from '../../../src/queue/key-space.js';
import { unstartedLineOf } from '../../../src/queue/unstarted-lines.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

const mini = (batchId: string): string => unstartedLineOf({ model: 'gpt-image-1-mini', batchId });
const two = (batchId: string): string => unstartedLineOf({ model: 'gpt-image-2', batchId });

describe('unstarted lines: jobs the producer added that no worker has started, by model, priority and batch (real Redis)', () => {
  let redis: Redis;
  const prefix = uniquePrefix('unstarted');
  let keys: KeySpace;
  let batches: BatchRegistry;
  beforeAll(() => {
    redis = connectTestRedis();
    keys = createKeySpace(prefix);
    batches = createBatchRegistry(redis, keys);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('counts the jobs an enqueue adds in their line, once: adding the same jobs again counts nothing', async () => {
    const jobs = [
      { jobId: 'mixed/a/v0', images: 1, line: mini('mixed') },
      { jobId: 'mixed/b/v0', images: 1, line: mini('mixed') },
      { jobId: 'mixed/c/v0', images: 1, line: two('mixed') },
    ];
    await batches.addJobs('mixed', jobs, 1);
    await batches.addJobs('mixed', jobs, 1);
    expect(await redis.hgetall(keys.unstartedLines)).toEqual({ [mini('mixed')]: '2', [two('mixed')]: '1' });
  });

  it("counts a job down at its first start only, and forgets a line once its last job started", async () => {
    await batches.addJobs('starts', [{ jobId: 'starts/a/v0', images: 1, line: mini('starts') }, { jobId: 'starts/b/v0', images: 1, line: mini('starts') }], 1);
    await batches.startJob('starts', 'starts/a/v0', 1, mini('starts'));
    // Back from a park: not a first start.
    await batches.startJob('starts', 'starts/a/v0', 1);
    expect(await redis.hget(keys.unstartedLines, mini('starts'))).toBe('1');
    await batches.startJob('starts', 'starts/b/v0', 1, mini('starts'));
    expect(await redis.hexists(keys.unstartedLines, mini('starts'))).toBe(0);
  });

  it('leaves no count behind for a job the producer did not count (another BullMQ client, a resume)', async () => {
    await batches.startJob('foreign', 'foreign/a/v0', 1, mini('foreign'));
    expect(await redis.hexists(keys.unstartedLines, mini('foreign'))).toBe(0);
  });
});
