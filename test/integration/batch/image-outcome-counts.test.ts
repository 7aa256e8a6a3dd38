import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchRegistry, type BatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

describe("an image's outcome in its batch's counts", () => {
  let redis: Redis;
  const prefix = uniquePrefix('outcomes');
  let batches: BatchRegistry;

  beforeAll(async () => {
    redis = connectTestRedis();
    batches = createBatchRegistry(redis, createKeySpace(prefix));
    await batches.addJobs('counts', [{ jobId: 'counts-a', images: 2 }], 1);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('is counted once however often it is recorded, moves its count when it changes, and takes its error and reason along', async () => {
    await batches.recordOutcome('counts', 'counts/a-0', 'failed', 'HTTP 500', 'not_kept');
    await batches.recordOutcome('counts', 'counts/a-0', 'failed', 'HTTP 500', 'not_kept');
    expect((await batches.summary('counts')).counts).toMatchObject({ failed: 1 });
    expect(await batches.errors('counts')).toEqual({ 'counts/a-0': 'HTTP 500' });
    expect(await batches.reasons('counts')).toEqual({ 'counts/a-0': 'not_kept' });
    await batches.recordOutcome('counts', 'counts/a-0', 'stored');
    await batches.recordOutcome('counts', 'counts/a-1', 'stored');
    const summary = await batches.summary('counts');
    expect(summary.counts).toMatchObject({ stored: 2, failed: 0 });
    expect(summary.pending).toBe(0);
    expect(await batches.outcomeOf('counts', 'counts/a-0')).toBe('stored');
    expect(await batches.errors('counts')).toEqual({});
    expect(await batches.reasons('counts')).toEqual({});
  });

  it("a job's last outcome deletes the job's state in the same script, and counts once when sent again", async () => {
    const keys = createKeySpace(prefix);
    await batches.addJobs('last', [{ jobId: 'last-a', images: 1 }], 1);
    await redis.hset(keys.jobState('last-a'), 'calls', 1, 'settled:call-1', 1);

    await batches.recordLastOutcome('last', 'last-a', 'last/a-0', 'stored');
    await batches.recordLastOutcome('last', 'last-a', 'last/a-0', 'stored');

    expect(await redis.exists(keys.jobState('last-a'))).toBe(0);
    const summary = await batches.summary('last');
    expect(summary.counts).toMatchObject({ stored: 1 });
    expect(summary.pending).toBe(0);
  });
});
