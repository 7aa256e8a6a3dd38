import { defineCommand } from 'citty';
import { loadConfig } from '../../config/load-config.js';
import { createSlotLimiter } from '../../limiter/slot-limiter.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisConnection } from '../../queue/redis-connection.js';

export const statusCommand = defineCommand({
  meta: { name: 'status', description: "A batch's counts by outcome, and each configured deployment's limiter state (paused, cooling down)." },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    json: { type: 'boolean', description: 'Print JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const url = config.redisUrl ?? 'redis://127.0.0.1:6379';
    const redis = createRedisConnection(url, 'producer');
    const producer = createProducer({ connection: redis, prefix: config.redisPrefix });
    try {
      const limiter = createSlotLimiter(redis, createKeySpace(config.redisPrefix), config.limiter);
      const summary = await producer.batches.summary(args.batch);
      const errors = await producer.batches.errors(args.batch);
      const deployments = await Promise.all(config.deployments.map((d) => limiter.state(d.name)));
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...summary, errors, deployments })}\n`);
        return;
      }
      const { stored, filtered, failed, rejected } = summary.counts;
      process.stdout.write(
        `batch ${summary.batchId}: ${summary.images} images: ${stored} stored, ${filtered} filtered, ${failed} failed, ${rejected} rejected, ${summary.pending} pending; ${summary.calls} API calls (${summary.rateLimitedCalls} answered 429)\n`,
      );
      for (const [key, message] of Object.entries(errors)) process.stdout.write(`  ${key}: ${message}\n`);
      for (const d of deployments) {
        const now = Date.now();
        const state =
          d.pausedReason !== undefined
            ? `PAUSED: ${d.pausedReason} (resume: imgbatch deployments resume ${d.deployment})`
            : d.cooldownUntil !== undefined && d.cooldownUntil > now
              ? `cooling down for ${Math.ceil((d.cooldownUntil - now) / 1000)} s after a 429`
              : 'ok';
        process.stdout.write(`deployment ${d.deployment}: ${state}; 429s so far ${d.rateLimitedCount}\n`);
      }
    } finally {
      await producer.close();
      await redis.quit();
    }
  },
});
