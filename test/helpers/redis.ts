import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A connection to the test run's private redis-server. */
export function connectTestRedis(): Redis {
  return new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
}

/** A key prefix no other test uses; pair with `deleteKeysWithPrefix` in afterEach/afterAll. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomUUID().slice(0, 8)}`;
}

export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  const pattern = `{${prefix}}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * Redis's clock in ms, read as the limiter's scripts read it (TIME, whole ms): a bound a test
 * draws from it holds however long the test process took between its commands.
 */
export async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
