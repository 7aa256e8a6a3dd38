import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { toMicroUsd } from '../../../src/cost/micro-usd.js';
import { createRedisConnection } from '../../../src/queue/redis-connection.js';
import { createAzureCallImages } from '../../../src/worker/image-worker.js';
import type { CallImages } from '../../../src/worker/process-image-job.js';
import { createPipeline, usePipeline, type Pipeline } from '../../helpers/pipeline.js';
import { startRedisServer, type RunningService } from '../../helpers/services.js';
import { waitFor } from '../../helpers/wait-for.js';

// gpt-image-1.5 low 1024², 15-character prompts: $0.008724 a call, expected and billed alike
// (the simulator reports the usage the price table expects), so a budget allows an exact number of calls.
const GPT = { name: 'gpt', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } };
const CALL_USD = 0.008724;

describe('Redis errors and unanswered calls after a call is sent', () => {
  const open = usePipeline();
  let server: RunningService | undefined;
  let admin: Redis | undefined;
  let onPrivateRedis: Pipeline | undefined;
  // In this order: the pipeline's workers close while their Redis still runs.
  afterEach(async () => {
    await onPrivateRedis?.close();
    onPrivateRedis = undefined;
    await admin?.quit();
    admin = undefined;
    await server?.stop();
    server = undefined;
  });

  it('Redis refusing writes (OOM under noeviction) right after a call: the image is kept, its outcome recorded once Redis answers, one call', async () => {
    // A private redis-server: maxmemory is server-wide.
    server = await startRedisServer();
    const redisUrl = `redis://127.0.0.1:${server.port}`;
    admin = createRedisConnection(redisUrl, 'worker');
    const redis = admin;
    const through: { real?: CallImages } = {};
    let isArmed = true;
    // The real call through the simulator; the moment it returns, Redis starts refusing every write.
    const callImages: CallImages = async (deployment, job, options) => {
      if (through.real === undefined) throw new Error('call before the pipeline was made');
      const result = await through.real(deployment, job, options);
      if (isArmed) {
        isArmed = false;
        await redis.config('SET', 'maxmemory-policy', 'noeviction');
        await redis.config('SET', 'maxmemory', '1');
      }
      return result;
    };
    const p = await createPipeline({ simulator: { deployments: [GPT] }, redisUrl, callImages });
    onPrivateRedis = p;
    through.real = createAzureCallImages(p.deployments, () => p.workerSettings.timeoutMs ?? 5_000);
    p.startWorker();
    await p.producer.enqueue([{ id: 'vase', prompt: 'A blue vase 001', model: GPT.model, quality: 'low' }], { batchId: 'oom' });

    const refused = await waitFor(
      () => Promise.resolve(p.logs.find((line) => line.msg === 'redis bookkeeping failed after a call; trying again')),
      20_000,
      () => 'no bookkeeping refused by Redis',
    );
    expect(JSON.stringify(refused)).toMatch(/OOM/);
    // While Redis refuses, the paid image is already in the store.
    expect(await p.store.getRecord('oom/vase-0')).toMatchObject({ status: 'stored' });
    await redis.config('SET', 'maxmemory', '0');

    const summary = await p.waitForBatch('oom', 30_000);
    expect(summary).toMatchObject({ images: 1, pending: 0, counts: { stored: 1, failed: 0 } });
    expect(toMicroUsd(summary.costUsd)).toBe(toMicroUsd(CALL_USD));
    expect(p.simulator.stats()).toHaveLength(1);
  });

  it('--max-cost holds with calls that hang past the timeout or are reset: they count as possibly billed and the spend stays within the budget', async () => {
    const p = await open({ simulator: { deployments: [GPT] }, worker: { timeoutMs: 1_000, timeoutRetries: 1, attempts: 2 } });
    // 2 of 10 hang every time they are called, 1 is reset once after its request was read.
    p.simulator.script({ promptIncludes: 'hangs' }, [{ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' }]);
    p.simulator.script({ promptIncludes: 'reset' }, [{ kind: 'reset' }]);
    const prompts = ['A hangs vase 01', 'A hangs vase 02', 'A reset vase 3', ...Array.from({ length: 7 }, (_, i) => `A blue vase 00${i}`)];
    const rows = prompts.map((prompt, i) => ({ id: `vase-${i}`, prompt, model: GPT.model, quality: 'low' }));
    const maxCostUsd = 0.06;
    await p.producer.batches.setMaxCost('cap', maxCostUsd);
    // The calls that hang or are reset go first, so the budget meets them whichever worker is
    // quicker on a busy machine (it once spent the whole budget on the blue vases first); the
    // rest race for what is left across the two workers.
    await p.producer.enqueue(rows.slice(0, 3), { batchId: 'cap' });
    for (let i = 0; i < 2; i++) p.startWorker();
    await waitFor(() => Promise.resolve(p.simulator.stats().length >= 3 ? true : undefined), 20_000, () => 'the calls that hang or are reset to be made');
    await p.producer.enqueue(rows.slice(3), { batchId: 'cap' });

    const summary = await p.waitForBatch('cap', 60_000);
    expect(summary.pending).toBe(0);
    expect(summary.possiblyBilledCostUsd).toBeGreaterThan(0);
    expect(summary.costUsd).toBeLessThanOrEqual(maxCostUsd);
    // Every call the simulator saw is in the spend: billed, or possibly billed at its expected cost.
    expect(toMicroUsd(summary.costUsd)).toBe(toMicroUsd(p.simulator.stats().length * CALL_USD));
    expect(summary.inFlightCostUsd).toBe(0);
    const reasons = await p.producer.batches.reasons('cap');
    expect(Object.values(reasons).every((reason) => reason === 'budget_exceeded' || reason === 'timeouts_exhausted')).toBe(true);
  });
});
