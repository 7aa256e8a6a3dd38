import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { createJobState } from '../../../src/queue/job-state.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { giveUpStalledJob, MAX_STALLS } from '../../../src/worker/give-up-stalled-job.js';
import { usePipeline } from '../../helpers/pipeline.js';

const GPT = { name: 'gpt', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: { meanMs: 10, sdMs: 2 } };

describe('a job whose workers keep dying', () => {
  const open = usePipeline();

  it('is given up after MAX_STALLS take-overs with the reason recorded as its images\' outcome, so the batch still ends; the others are made', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    await p.producer.enqueue(
      [
        { id: 'cursed', prompt: 'a cursed vase', model: GPT.model },
        { id: 'fine', prompt: 'a fine vase', model: GPT.model },
      ],
      { batchId: 'stalls' },
    );
    // As BullMQ's stalled check leaves it after the holding worker died MAX_STALLS + 1 times.
    // (BullMQ's own limit would fail the job in a Lua script, where no outcome is recorded,
    // and the batch would wait for the image for ever.)
    const redis = createRedisConnection(p.redisUrl, 'producer');
    await redis.hset(`{${p.prefix}}:images:stalls/cursed/v0`, 'stc', MAX_STALLS + 1);
    await redis.quit();
    p.startWorker();

    const summary = await p.waitForBatch('stalls', 20_000);
    expect(summary.counts).toMatchObject({ stored: 1, failed: 1 });
    expect((await p.producer.batches.errors('stalls'))['stalls/cursed-0']).toMatch(/stopped 4 times .*more than the 3 allowed.*imgbatch resume/);
    expect(p.simulator.stats().filter((call) => call.prompt === 'a cursed vase')).toHaveLength(0);
    const job = await p.producer.queue.getJob('stalls/cursed/v0');
    expect(await job?.getState()).toBe('failed');
  });

  it('keeps the outcome of an image the dying worker had already stored, fails the rest, and gives the job\'s budget reservation back', async () => {
    const p = await open({ simulator: { deployments: [GPT] } });
    p.startWorker();
    await p.producer.enqueue([{ id: 'kept', prompt: 'a kept vase', model: GPT.model }], { batchId: 'late' });
    await p.waitForBatch('late');
    await p.producer.batches.setMaxCost('late', 1);
    // As if the worker died after storing `kept`, holding a reservation for the job.
    await p.producer.batches.reserveCost('late', 'late/kept/v0', 0.5);
    const redis = createRedisConnection(p.redisUrl, 'producer');
    const deps = {
      batches: p.producer.batches,
      store: p.store,
      jobState: createJobState(redis, createKeySpace(p.prefix)),
      logger: createLogger({ level: 'silent' }),
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    };

    await giveUpStalledJob(deps, { id: 'late/kept/v0', data: { batchId: 'late', requestId: 'kept', variants: [0] }, stalls: MAX_STALLS + 1 });
    await giveUpStalledJob(deps, { id: 'late/lost/v0', data: { batchId: 'late', requestId: 'lost', variants: [0] }, stalls: MAX_STALLS + 1 });

    expect(await p.producer.batches.summary('late')).toMatchObject({ images: 2, pending: 0, counts: { stored: 1, failed: 1 }, inFlightCostUsd: 0 });
    expect(await p.producer.batches.costReservations('late')).toEqual([]);
    expect(Object.keys(await p.producer.batches.errors('late'))).toEqual(['late/lost-0']);
    expect(await p.producer.batches.reasons('late')).toEqual({ 'late/lost-0': 'stalled_too_often' });
    await redis.quit();
  });
});
