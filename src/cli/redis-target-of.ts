import type { Config } from '../config/config.js';
import { DEFAULT_REDIS_URL, type RedisTarget } from '../queue/redis-connection.js';

/** Where the CLI connects: REDIS_URL (127.0.0.1:6379 when unset) and its TLS CA, if any. */
export function redisTargetOf(config: Pick<Config, 'redisUrl' | 'redisTlsCa'>, url: string = config.redisUrl ?? DEFAULT_REDIS_URL): RedisTarget {
  return { url, ...(config.redisTlsCa !== undefined && { tlsCa: config.redisTlsCa }) };
}
