import { createBatchRegistry, type BatchSummary } from '../batch/batch-registry.js';
import type { Config } from '../config/config.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { createSilentLogger } from '../log/logger.js';
import { createKeySpace } from '../queue/key-space.js';
import { createProducer, type Producer } from '../queue/producer.js';
import { redisTargetOf } from './redis-target-of.js';
import { batchPrefixesToSearch } from './batch-prefix.js';
import { createRedisClient, type RedisClient } from '../queue/redis-connection.js';

export interface OpenBatch {
  readonly producer: Producer;
  readonly redis: RedisClient;
  readonly prefix: string;
  close(): Promise<void>;
}

/** The prefix (of those batchPrefixesToSearch names) whose registry knows the batch, with its summary; undefined when none does. */
export async function findBatch(redis: RedisClient, config: Config, batchId: string): Promise<{ prefix: string; summary: BatchSummary } | undefined> {
  for (const prefix of batchPrefixesToSearch(config)) {
    const summary = await createBatchRegistry(redis, createKeySpace(prefix)).summary(batchId);
    if (summary.createdAt !== undefined) return { prefix, summary };
  }
  return undefined;
}

/**
 * Connects to the Redis prefix that holds `batchId` (see batchPrefixesToSearch). Throws a
 * ValidationError naming the prefixes searched when no prefix knows the batch.
 */
export async function openBatch(config: Config, batchId: string): Promise<OpenBatch> {
  const redis = createRedisClient(redisTargetOf(config), 'producer');
  let found: Awaited<ReturnType<typeof findBatch>>;
  try {
    found = await findBatch(redis, config, batchId);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  if (found === undefined) {
    await redis.quit();
    throw new ValidationError([{ field: 'batch', reason: `no batch "${batchId}" in Redis (key prefixes searched: ${batchPrefixesToSearch(config).join(', ')})` }]);
  }
  const { prefix } = found;
  const producer = createProducer({ connection: redis, prefix, logger: createSilentLogger() });
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
