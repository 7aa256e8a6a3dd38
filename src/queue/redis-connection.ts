import { Redis, type RedisOptions } from 'ioredis';

export type ConnectionRole = 'worker' | 'producer';

/**
 * Workers wait out a Redis outage (`maxRetriesPerRequest: null`, as BullMQ requires for
 * blocking connections); producers fail fast so a caller hears at once that Redis is down.
 */
export function createRedisConnection(url: string, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 1, connectTimeout: 5_000, ...extra };
  const redis = new Redis(url, options);
  // An unhandled 'error' event would crash the process; the caller sees failures through commands.
  redis.on('error', () => undefined);
  return redis;
}
