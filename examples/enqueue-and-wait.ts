// Enqueue a few prompts with the library client, wait for them, list the stored images.
// Run: npx tsx examples/enqueue-and-wait.ts
// With Azure settings in the environment (AZURE_OPENAI_*, REDIS_URL) it only enqueues and
// waits: run workers with `imgbatch worker`. Without them it brings its own local simulator,
// Redis and worker, like `imgbatch run`, so it runs anywhere.
import { openRuntime } from '../src/cli/open-runtime.js';
import { createImageWorker, createImgbatchClient, createLogger, createRedisConnection, loadConfig } from '../src/index.js';

const config = loadConfig();
const logger = createLogger({ level: 'warn' });
const runtime = await openRuntime(config, logger);
const prefix = runtime.simulator === undefined ? config.redisPrefix : `${config.redisPrefix}-simulator`;
const workerConnection = createRedisConnection(runtime.redis.url, 'worker');
const worker =
  runtime.simulator === undefined
    ? undefined
    : createImageWorker({ connection: workerConnection, prefix, deployments: runtime.deployments, store: runtime.store, settings: config.worker, limiter: config.limiter, logger });

const client = createImgbatchClient({ connection: runtime.redis.url, prefix, store: runtime.store });
try {
  const { batchId, accepted, rejected } = await client.enqueue(
    [
      { id: 'hero', prompt: 'A lighthouse at dawn, oil painting', n: 2, model: 'gpt-image-1-mini', size: '1536x1024' },
      { id: 'icon', prompt: 'Flat icon of a bell', model: 'gpt-image-1-mini', quality: 'low' },
    ],
    { batchId: 'example-library' },
  );
  console.log(`enqueued ${batchId}: ${accepted} requests, ${rejected.length} refused`);
  const summary = await client.waitForBatch(batchId, {
    timeoutMs: 120_000,
    onProgress: (s) => {
      console.log(`  ${s.images - s.pending}/${s.images} done`);
    },
  });
  console.log('counts', summary.counts);
  for await (const record of client.results(batchId)) console.log(`${record.key}: ${record.status} ${record.location ?? ''}`);
} finally {
  await client.close();
  await worker?.close();
  await workerConnection.quit();
  await runtime.close();
}
