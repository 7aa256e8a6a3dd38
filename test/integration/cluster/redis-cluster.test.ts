import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { startRedisCluster, type RedisClusterProcess } from '../../helpers/redis-cluster.js';
import { uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process.js';

const MODEL = 'gpt-image-1-mini';

describe('a Redis Cluster of three masters (redis-server --cluster-enabled, redis-cli --cluster create)', () => {
  let cluster: RedisClusterProcess | undefined;
  let simulator: Simulator | undefined;
  let producer: Producer | undefined;
  let worker: WorkerProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await worker?.stop(5_000);
    await producer?.close();
    await simulator?.close();
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    cluster = simulator = producer = worker = dir = undefined;
  });

  it('runs a batch end to end through producer, limiter, a worker process and the batch registry, with every key in the one hash slot of the prefix', async () => {
    cluster = await startRedisCluster(3);
    simulator = await createSimulator({ deployments: [{ name: 'gpt', model: MODEL, ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } }] });
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-cluster-run-'));
    const outputDir = join(dir, 'output');
    const prefix = uniquePrefix('cluster');
    const configPath = await writeWorkerConfig(dir, 'deployments.json', { deployments: [{ name: 'gpt', endpoint: simulator.url, model: MODEL, ratePerMinute: 600 }] });
    producer = createProducer({ connection: cluster.url, prefix });
    worker = startWorkerProcess({ redisUrl: cluster.url, prefix, outputDir, configPath });

    const requests = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `mug-${i}`, prompt: `a mug, number ${i}`, model: MODEL })),
      { id: 'pair', prompt: 'two lamps', model: MODEL, n: 2 },
      { id: 'refused', prompt: 'a [output-filter] kite', model: MODEL },
    ];
    const enqueued = await producer.enqueue(requests, { batchId: 'clustered' });
    expect(enqueued).toMatchObject({ accepted: 12, imagesAdded: 13, rejected: [] });

    let last: BatchSummary | undefined;
    const summary = await waitFor(
      async () => {
        last = await producer?.batches.summary('clustered');
        return last !== undefined && last.pending === 0 ? last : undefined;
      },
      30_000,
      () => `batch unfinished: ${JSON.stringify(last)}\n${worker?.stderr().slice(-4_000) ?? ''}`,
    );
    expect(summary.counts).toMatchObject({ stored: 12, filtered: 1, failed: 0, rejected: 0 });
    expect(simulator.stats().filter((call) => call.outcome === 'rate_limited')).toHaveLength(0);
    expect((await readdir(join(outputDir, 'clustered'))).filter((name) => name.endsWith('.png'))).toHaveLength(12);

    // Every key imgbatch and BullMQ wrote carries the `{prefix}` hash tag: one slot, one node,
    // which is what lets the Lua scripts touch several of them at once.
    const keysByPort = await Promise.all(cluster.ports.map(async (port) => (await cluster?.cli(port, '--scan', '--pattern', `{${prefix}}*`))?.split('\n').filter(Boolean) ?? []));
    const keys = keysByPort.flat();
    expect(keysByPort.filter((list) => list.length > 0)).toHaveLength(1);
    expect(keys).toEqual(expect.arrayContaining([`{${prefix}}:limiter:deployment:gpt`, `{${prefix}}:batch:clustered:outcomes`, `{${prefix}}:images:meta`]));
    const port = cluster.ports[keysByPort.findIndex((list) => list.length > 0)] ?? 0;
    const slots = new Set(await Promise.all(keys.map(async (key) => (await cluster?.cli(port, 'cluster', 'keyslot', key))?.trim())));
    expect(slots.size).toBe(1);

    // The CLI reads the same cluster from REDIS_URL.
    const status = await runCli(['status', '--json'], { REDIS_URL: cluster.url, IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_CONFIG: configPath, SIM_KEY: 'sim-key' });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('gpt');
  }, 60_000);
});
