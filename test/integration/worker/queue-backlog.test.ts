import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import { createBatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { unstartedLineOf } from '../../../src/queue/unstarted-lines.js';
import { createQueueBacklog } from '../../../src/worker/queue-backlog.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('queue backlog: whether a full process should give a worker slot back (real Redis, BullMQ)', () => {
  const redisUrl = inject('redisUrl');
  let prefix: string;
  let redis: Redis;
  let queue: Queue;

  beforeEach(() => {
    prefix = uniquePrefix('backlog');
    redis = connectTestRedis();
    queue = new Queue(IMAGE_QUEUE_NAME, { connection: { url: redisUrl }, prefix: createKeySpace(prefix).bullPrefix });
  });

  afterEach(async () => {
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /** A backlog of its own for each look, so its 250 ms cache never hides a change; turns within 2 s are near. */
  function backlogOf(isFull: boolean) {
    return createQueueBacklog(redis, createKeySpace(prefix), () => isFull, 2_000);
  }

  it('a job waiting unfetched wants a slot of a full process, not of one with a slot free', async () => {
    await queue.add('image', { n: 1 });
    expect(await backlogOf(true).isSlotWanted()).toBe(true);
    expect(await backlogOf(false).isSlotWanted()).toBe(false);
  });

  it('a job whose turn is near keeps its slot for the backlog: parked, it would come back behind every job not fetched yet', async () => {
    await queue.add('image', { n: 1 });
    expect(await backlogOf(true).isSlotWanted(2_000)).toBe(false);
    expect(await backlogOf(true).isSlotWanted(2_001)).toBe(true);
    // Behind the jobs of its line in the process, a job does not know its turn yet.
    expect(await backlogOf(true).isSlotWanted(undefined)).toBe(true);
  });

  it('a backlog all of the asking job\'s own line (model, priority, batch) keeps its slot: the job fetched instead would queue behind it', async () => {
    const keys = createKeySpace(prefix);
    const batches = createBatchRegistry(redis, keys);
    const line = (batchId: string, priority?: string): string => unstartedLineOf({ model: 'gpt-image-1-mini', priority, batchId });
    await batches.addJobs('big', [{ jobId: 'big/a/v0', images: 1, line: line('big') }], 1);
    await queue.add('image', { n: 1 }, { jobId: 'big/a/v0' });
    expect(await backlogOf(true).isSlotWanted(5_000, line('big'))).toBe(false);
    // Behind the jobs of its line in this process, the same.
    expect(await backlogOf(true).isSlotWanted(undefined, line('big'))).toBe(false);

    // A batch behind the backlog: now the far jobs of the big one park and let it in; its own
    // far jobs too (the big one is another line to them).
    await batches.addJobs('small', [{ jobId: 'small/a/v0', images: 1, line: line('small', 'high') }], 1);
    await queue.add('image', { n: 2 }, { jobId: 'small/a/v0' });
    expect(await backlogOf(true).isSlotWanted(5_000, line('big'))).toBe(true);
    expect(await backlogOf(true).isSlotWanted(5_000, line('small', 'high'))).toBe(true);
  });

  it('jobs waiting beyond what the producer counted (another BullMQ client, a resume) want a slot though the counted ones are all of the asking line', async () => {
    const keys = createKeySpace(prefix);
    const batches = createBatchRegistry(redis, keys);
    const line = unstartedLineOf({ model: 'gpt-image-1-mini', batchId: 'counted' });
    await batches.addJobs('counted', [{ jobId: 'counted/a/v0', images: 1, line }], 1);
    await queue.add('image', { n: 1 }, { jobId: 'counted/a/v0' });
    await queue.add('image', { n: 2 }, { jobId: 'resumed/a/v0' });
    expect(await backlogOf(true).isSlotWanted(5_000, line)).toBe(true);
  });

  it('a parked job whose wake-up has come wants a slot, though BullMQ has not moved it to wait yet; one due in an hour does not', async () => {
    await queue.add('image', { n: 1 }, { delay: 3_600_000 });
    expect(await backlogOf(true).isSlotWanted()).toBe(false);

    await queue.add('image', { n: 2 }, { delay: 20 });
    // Nothing fetches here, so the job stays in the delayed set once due.
    const wanted = await waitFor(async () => ((await backlogOf(true).isSlotWanted()) ? true : undefined), 5_000, () => 'the due delayed job to want a slot');
    expect(wanted).toBe(true);
    expect(await queue.getDelayedCount()).toBe(2);
  });
});
