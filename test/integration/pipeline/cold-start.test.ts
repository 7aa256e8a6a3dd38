import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process.js';

const MODEL = 'gpt-image-1-mini';

describe('worker processes starting cold', () => {
  const redisUrl = inject('redisUrl');
  let prefix: string;
  let dir: string;
  let admin: Redis;
  let producer: Producer;
  let simulator: Simulator | undefined;
  let workers: WorkerProcess[];

  beforeEach(async () => {
    prefix = uniquePrefix('cold');
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-cold-'));
    admin = connectTestRedis();
    producer = createProducer({ connection: redisUrl, prefix });
    simulator = undefined;
    workers = [];
  });

  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.stop(5_000)));
    await simulator?.close();
    await producer.close();
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('two processes started together on a 6 rpm deployment send their first calls on time: no two calls in one 10 s window, none a window late', async ({ onTestFailed }) => {
    onTestFailed(() => {
      process.stderr.write(`${workers.map((w) => `--- worker ${w.pid} ---\n${w.stderr().slice(-6_000)}`).join('\n')}\n`);
    });
    // 6 rpm over Azure's 10 s windows is one call per window: a call that leaves late, next to
    // one that leaves on time, is the second call of a window and gets a 429.
    simulator = await createSimulator({ deployments: [{ name: 'cold', model: MODEL, ratePerMinute: 6, latency: { meanMs: 50, sdMs: 10 } }] });
    const configPath = await writeWorkerConfig(dir, 'cold.json', { deployments: [{ name: 'cold', endpoint: simulator.url, model: MODEL, ratePerMinute: 6 }] });
    // The jobs wait before the processes start: their first slots are taken while they load.
    await producer.enqueue(
      Array.from({ length: 4 }, (_, i) => ({ id: `c${i}`, prompt: `a cold morning, study ${i}`, model: MODEL })),
      { batchId: 'cold' },
    );
    const outputDir = join(dir, 'output');
    workers = [startWorkerProcess({ redisUrl, prefix, outputDir, configPath }), startWorkerProcess({ redisUrl, prefix, outputDir, configPath })];
    let last: BatchSummary | undefined;
    const summary = await waitFor(
      async () => {
        last = await producer.batches.summary('cold');
        return last.pending === 0 ? last : undefined;
      },
      80_000,
      () => `batch unfinished: ${JSON.stringify(last)}`,
    );
    expect(summary.counts.stored).toBe(4);

    const calls = (simulator.stats()).filter((c) => c.deployment === 'cold');
    expect(calls.map((c) => c.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const times = calls.map((c) => c.arrivedAtMs).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const gapMs = (times[i] ?? 0) - (times[i - 1] ?? 0);
      // Slots are 10.2 s apart (2% headroom): a gap under 10 s means a call left late by more
      // than the headroom; a gap far over it means a slot was missed.
      expect(gapMs, `gap ${i}: ${gapMs} ms`).toBeGreaterThanOrEqual(10_000);
      expect(gapMs, `gap ${i}: ${gapMs} ms`).toBeLessThan(10_200 + 500);
    }
  }, 120_000);
});
