import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createSlotLimiter } from '../../limiter/slot-limiter.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisConnection } from '../../queue/redis-connection.js';
import { deploymentStatus, formatDeploymentTable } from '../format-deployment-status.js';

export const statusCommand = defineCommand({
  meta: {
    name: 'status',
    description:
      'Each configured deployment: configured and effective rate, calls and 429s in the last minute, cooldown or pause with its reason; with a batch id, also its counts by outcome.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id (optional)', required: false },
    json: { type: 'boolean', description: 'Print JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisConnection(config.redisUrl ?? 'redis://127.0.0.1:6379', 'producer');
    const producer = createProducer({ connection: redis, prefix: config.redisPrefix });
    try {
      const limiter = createSlotLimiter(redis, createKeySpace(config.redisPrefix), config.limiter);
      const now = Date.now();
      const deployments = await Promise.all(config.deployments.map(async (d) => deploymentStatus(d, await limiter.state(d.name), now)));
      const batch = args.batch === undefined ? undefined : await producer.batches.summary(args.batch);
      const errors = args.batch === undefined ? {} : await producer.batches.errors(args.batch);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ deployments, ...(batch !== undefined && { batch: { ...batch, errors } }) })}\n`);
        return;
      }
      if (batch !== undefined) {
        const { stored, filtered, failed, rejected, cancelled } = batch.counts;
        process.stdout.write(
          `batch ${batch.batchId}: ${batch.images} images: ${stored} stored, ${filtered} filtered, ${failed} failed, ${rejected} rejected, ${cancelled} cancelled, ${batch.pending} pending; ${batch.calls} API calls (${batch.rateLimitedCalls} answered 429)\n`,
        );
        for (const [key, message] of Object.entries(errors)) process.stdout.write(`  ${key}: ${message}\n`);
        process.stdout.write('\n');
      }
      process.stdout.write(
        deployments.length === 0
          ? 'no deployments configured (AZURE_OPENAI_ENDPOINT or IMGBATCH_CONFIG)\n'
          : `${formatDeploymentTable(deployments)}\n`,
      );
    } finally {
      await producer.close();
      await redis.quit();
    }
  },
});
