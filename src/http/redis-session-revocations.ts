import { createKeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import type { SessionRevocations } from './session-revocations.js';

export interface RedisSessionRevocationsOptions {
  /** A producer connection (fail fast); the caller owns and closes it. */
  readonly connection: RedisClient;
  /** Key prefix shared with the workers; default `imgbatch`. */
  readonly prefix?: string;
}

/**
 * Revocations in Redis, shared by every API replica on the same Redis and prefix and kept
 * across restarts: one key per signed-out session, expiring when its cookie would have, so
 * nothing accumulates. The key sits under the prefix's hash tag like every imgbatch key.
 */
export function createRedisSessionRevocations(options: RedisSessionRevocationsOptions): SessionRevocations {
  const { bullPrefix } = createKeySpace(options.prefix ?? 'imgbatch');
  const key = (id: string): string => `${bullPrefix}:http:revoked-session:${id}`;
  return {
    async revoke(id, expiresAtMs) {
      const ttlMs = expiresAtMs - Date.now();
      if (ttlMs > 0) await options.connection.set(key(id), '1', 'PX', ttlMs);
    },
    async isRevoked(id) {
      return (await options.connection.exists(key(id))) === 1;
    },
  };
}
