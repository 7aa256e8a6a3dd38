import type { Config } from '../config/config.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { createSilentLogger } from '../log/logger.js';
import { createProducer, type Producer } from '../queue/producer.js';
import { createRedisClient } from '../queue/redis-connection.js';
import { redisTargetOf } from './redis-target-of.js';
import { batchPrefixesToSearch } from './batch-prefix.js';
import type { RedisClient } from '../queue/redis-connection.js';

export interface OpenBatch {
  readonly producer: Producer;
  readonly redis: RedisClient;
  readonly prefix: string;
  close(): Promise<void>;
}

/**
 * Connects to the Redis prefix that holds `batchId` (see batchPrefixesToSearch). Throws a
 * ValidationError naming the prefixes searched when no prefix knows the batch.
 */
export async function openBatch(config: Config, batchId: string): Promise<OpenBatch> {
  const redis = createRedisClient(redisTargetOf(config), 'producer');
  const prefixes = batchPrefixesToSearch(config);
  try {
    for (const prefix of prefixes) {
      const producer = createProducer({ connection: redis, prefix, logger: createSilentLogger() });
      if ((await producer.batches.summary(batchId)).createdAt !== undefined) {
        return {
          producer,
          redis,
          prefix,
          async close() {
            await producer.close();
            await redis.quit();
          },
        };
      }
      await producer.close();
    }
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  await redis.quit();
  throw new ValidationError([{ field: 'batch', reason: `no batch "${batchId}" in Redis (key prefixes searched: ${prefixes.join(', ')})` }]);
}
