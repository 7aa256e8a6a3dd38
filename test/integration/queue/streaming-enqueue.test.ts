import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RequestInput } from '../../../src/job/prepare-jobs.js';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

function input(i: number): RequestInput {
  return { request: { id: `p${i}`, prompt: `Product ${i}`, model: 'gpt-image-1-mini' }, location: `row ${i + 2}`, defaultId: `row-${i + 2}` };
}

describe('producer.enqueueInputs on a long stream (several chunks in flight)', () => {
  let redis: Redis;
  let producer: Producer;
  let prefix: string;
  beforeAll(() => {
    redis = connectTestRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });
  afterEach(async () => {
    await producer.close();
    await deleteKeysWithPrefix(redis, prefix);
  });
  const open = (): Producer => {
    prefix = uniquePrefix('stream');
    producer = createProducer({ connection: inject('redisUrl'), prefix });
    return producer;
  };

  it('adds and counts every job exactly once, rejects bad rows by location, and adds nothing the second time', async () => {
    const p = open();
    function* rows(): Generator<RequestInput> {
      for (let i = 0; i < 4_321; i++) yield i % 1_000 === 7 ? { ...input(i), request: { prompt: '', model: 'gpt-image-1-mini' } } : input(i);
    }
    const first = await p.enqueueInputs(rows(), { batchId: 'long' });
    expect(first).toMatchObject({ accepted: 4_316, jobsAdded: 4_316, imagesAdded: 4_316, jobsAlreadyQueued: 0 });
    expect(first.rejected.map((r) => r.location)).toEqual(['row 9', 'row 1009', 'row 2009', 'row 3009', 'row 4009']);
    expect(await p.queue.getWaitingCount()).toBe(4_316);
    expect(await p.batches.summary('long')).toMatchObject({ images: 4_316, jobs: 4_316, pending: 4_316 });

    const second = await p.enqueueInputs(rows(), { batchId: 'long' });
    expect(second).toMatchObject({ accepted: 4_316, jobsAdded: 0, imagesAdded: 0, jobsAlreadyQueued: 4_316 });
    expect(await p.batches.summary('long')).toMatchObject({ images: 4_316, jobs: 4_316 });
  });

  it('never reads far ahead of Redis: the stream waits while chunks are in flight', async () => {
    const p = open();
    let mostAhead = 0;
    async function* rows(): AsyncGenerator<RequestInput> {
      for (let i = 0; i < 10_000; i++) {
        if (i % 250 === 0) mostAhead = Math.max(mostAhead, i - (await p.queue.getWaitingCount()));
        yield input(i);
      }
    }
    await p.enqueueInputs(rows(), { batchId: 'paced' });
    expect(await p.queue.getWaitingCount()).toBe(10_000);
    // A handful of 500-job chunks at most (in flight plus the one being filled), never the file.
    expect(mostAhead).toBeLessThanOrEqual(2_500);
  });

  it('a stream that fails part way rejects with its error once the chunks in flight have landed, each of them counted', async () => {
    const p = open();
    async function* rows(): AsyncGenerator<RequestInput> {
      for (let i = 0; i < 1_800; i++) yield input(i);
      await Promise.resolve();
      throw new Error('Quote Not Closed at line 1802');
    }
    await expect(p.enqueueInputs(rows(), { batchId: 'broken' })).rejects.toThrow('Quote Not Closed at line 1802');
    const added = await p.queue.getWaitingCount();
    expect(added).toBeGreaterThan(0);
    expect(await p.batches.summary('broken')).toMatchObject({ jobs: added, images: added });
  });
});
