import { defineCommand } from 'citty';
import { cancelBatch } from '../../batch/cancel-batch.js';
import { loadConfig } from '../../config/load-config.js';
import { createKeySpace } from '../../queue/key-space.js';
import { createProducer } from '../../queue/producer.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { redisTargetOf } from '../redis-target-of.js';

export const cancelCommand = defineCommand({
  meta: {
    name: 'cancel',
    description: 'Remove the jobs of a batch that no worker has started and record their images as cancelled. Jobs in flight finish. Enqueueing the batch again brings the cancelled images back.',
  },
  args: {
    batch: { type: 'positional', description: 'Batch id', required: true },
    json: { type: 'boolean', description: 'Print the result as JSON', default: false },
  },
  async run({ args }) {
    const config = loadConfig();
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    const producer = createProducer({ connection: redis, prefix: config.redisPrefix, batchRetentionSeconds: config.batchRetentionSeconds });
    try {
      const result = await cancelBatch({ queue: producer.queue, batches: producer.batches, redis, keys: createKeySpace(config.redisPrefix) }, args.batch);
      const summary = await producer.batches.summary(args.batch);
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ ...result, summary })}\n`);
        return;
      }
      process.stdout.write(
        `batch ${result.batchId}: ${result.jobsCancelled} jobs cancelled (${result.imagesCancelled} images), ${result.jobsInFlight} in flight left to finish; ` +
          `now ${summary.counts.stored} stored, ${summary.counts.cancelled} cancelled, ${summary.pending} pending\n`,
      );
    } finally {
      await producer.close();
      await redis.quit();
    }
  },
});
