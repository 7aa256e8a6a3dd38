import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createProducer, type Producer } from '../../../src/queue/producer.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../helpers/worker-process.js';
import { waitFor } from '../../helpers/wait-for.js';

const MODEL = 'gpt-image-1-mini';

/** Every value under a key prefix, whatever its Redis type, as one text to search. */
async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') parts.push(String(await redis.get(key)));
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

describe('a worker process: graceful shutdown, and secrets kept out of every output', () => {
  let redis: Redis;
  let prefix: string;
  let dir: string;
  let simulator: Simulator | undefined;
  let producer: Producer;
  const workers: WorkerProcess[] = [];

  beforeEach(async () => {
    redis = connectTestRedis();
    prefix = uniquePrefix('proc');
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-proc-'));
    producer = createProducer({ connection: inject('redisUrl'), prefix });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
    await producer.close();
    await simulator?.close();
    simulator = undefined;
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  async function waitForBatch(batchId: string, timeoutMs: number): Promise<void> {
    let last: unknown;
    await waitFor(
      async () => {
        const summary = await producer.batches.summary(batchId);
        last = summary;
        return summary.images > 0 && summary.pending === 0 ? summary : undefined;
      },
      timeoutMs,
      () => `batch ${batchId} unfinished: ${JSON.stringify(last)}`,
    );
  }

  it('on SIGTERM stops taking jobs, lets the call in flight finish and store its image, and exits 0', async () => {
    simulator = await createSimulator({ deployments: [{ name: 'slow', model: MODEL, ratePerMinute: 600, latency: { meanMs: 3_000, sdMs: 0 } }] });
    const configPath = await writeWorkerConfig(dir, 'slow.json', { deployments: [{ name: 'slow', endpoint: simulator.url, model: MODEL, ratePerMinute: 600 }] });
    const outputDir = join(dir, 'output');
    const worker = startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, outputDir, configPath });
    workers.push(worker);
    await worker.waitForLog('worker started');
    await producer.enqueue(
      [
        { id: 'inflight', prompt: 'a slow kite', model: MODEL },
        { id: 'later', prompt: 'a later kite', model: MODEL },
      ],
      { batchId: 'shutdown' },
    );
    // Both calls have reached the service (each answer is 3 s away): both are in flight.
    await waitFor(
      () => Promise.resolve(simulator?.stats().length === 2 ? true : undefined),
      10_000,
      () => `calls in flight: ${simulator?.stats().length ?? 0}`,
    );

    const exit = await worker.stop(20_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const summary = await producer.batches.summary('shutdown');
    expect(summary.counts.stored).toBe(2);
    expect((await readdir(join(outputDir, 'shutdown'))).sort()).toEqual(['inflight-0.json', 'inflight-0.png', 'later-0.json', 'later-0.png']);
    expect(simulator.stats()).toHaveLength(2);
    expect(worker.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['stopping: no new jobs; waiting for calls in flight', 'worker stopped']));
  });

  it('never writes the API key or the storage account key into job data, logs, records or error messages', async () => {
    const apiKey = 'sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    simulator = await createSimulator({
      apiKeys: [apiKey],
      deployments: [{ name: 'd', model: MODEL, ratePerMinute: 600, latency: { meanMs: 20, sdMs: 5 } }],
    });
    simulator.script({ promptIncludes: 'flaky' }, [{ kind: '500' }]);
    const connectionString = inject('azuriteConnectionString');
    const accountKey = /AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? '';
    expect(accountKey.length).toBeGreaterThan(20);
    const container = `secrets-${prefix.replace(/[^a-z0-9]/g, '')}`.slice(0, 60);
    const configPath = await writeWorkerConfig(dir, 'secret.json', {
      deployments: [{ name: 'd', endpoint: simulator.url, model: MODEL, ratePerMinute: 600 }],
      worker: { backoffBaseMs: 50, backoffMaxMs: 200 },
    });
    const worker = startWorkerProcess({
      redisUrl: inject('redisUrl'),
      prefix,
      outputDir: join(dir, 'unused'),
      configPath,
      logLevel: 'debug',
      extraEnv: { SIM_KEY: apiKey, AZURE_STORAGE_CONNECTION_STRING: connectionString, IMGBATCH_BLOB_CONTAINER: container },
    });
    workers.push(worker);
    await worker.waitForLog('worker started');
    await producer.enqueue(
      [
        { id: 'ok', prompt: 'a kite', model: MODEL },
        { id: 'flaky', prompt: 'a flaky kite', model: MODEL },
        { id: 'blocked', prompt: 'a gore kite', model: MODEL },
      ],
      { batchId: 'secrets' },
    );
    await waitForBatch('secrets', 20_000);
    await worker.stop();

    const blobs = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
    const records: string[] = [];
    for await (const blob of blobs.listBlobsFlat()) {
      if (blob.name.endsWith('.json')) records.push((await blobs.getBlobClient(blob.name).downloadToBuffer()).toString('utf8'));
    }
    expect(records).toHaveLength(3);
    const everything = [worker.stderr(), await dumpRedis(redis, prefix), ...records, JSON.stringify(await producer.batches.errors('secrets'))].join('\n');
    expect(everything).toContain('secrets/flaky-0');
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain(accountKey);
    // The config file names the variable, never the key.
    expect(await readFile(configPath, 'utf8')).not.toContain(apiKey);
    await blobs.deleteIfExists();
  });
});
