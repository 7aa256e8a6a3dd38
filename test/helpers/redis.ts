import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { startRedisServer, type RunningService } from './services.js';

/** A connection to the test run's private redis-server. */
export function connectTestRedis(): Redis {
  return new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
}

/**
 * A redis-server of the suite's own, started before its tests and stopped after them, for tests
 * that count commands (INFO commandstats counts every client's); returns its connection, once
 * the tests run.
 */
export function useOwnRedisServer(): () => Redis {
  let server: RunningService | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });
  return () => {
    if (redis === undefined) throw new Error('the redis-server of this suite is not started yet (use it inside a test)');
    return redis;
  };
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
