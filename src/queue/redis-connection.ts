import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../errors/imgbatch-error.js';
import { parseRedisUrl } from '../config/parse-redis-url.js';
import { watchRedisErrors } from './watch-redis-errors.js';

export type ConnectionRole = 'worker' | 'producer';

/** A connection to one Redis server or to a Redis Cluster; BullMQ and every imgbatch module take either. */
export type RedisClient = Redis | Cluster;

/** Where the library and CLI connect when nothing is configured. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Where Redis is, and what a URL cannot carry. */
export interface RedisTarget {
  /**
   * `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or
   * `redis+cluster://[user:password@]host:port,host:port` (`rediss+cluster://` for TLS) for a
   * Redis Cluster, whose nodes are seeds: the client learns the rest from them.
   */
  readonly url: string;
  /** PEM certificate(s) of the CA that signed the server's, for TLS (`REDIS_TLS_CA_FILE`); default the system's CAs. */
  readonly tlsCa?: string;
}

/** Whether `value` is a live connection rather than a URL or target to connect to. */
export function isRedisClient(value: unknown): value is RedisClient {
  return value instanceof Redis || value instanceof Cluster;
}

/** What a role sets on every connection it opens (ioredis 6 checks options against its reply mapping, so these stay plain). */
interface RoleOptions {
  readonly maxRetriesPerRequest: number | null;
  readonly enableReadyCheck?: boolean;
  readonly connectTimeout?: number;
}

function roleOptions(role: ConnectionRole): RoleOptions {
  // Workers wait out a Redis outage (BullMQ requires it for blocking connections); producers
  // fail fast so a caller hears at once that Redis is down.
  return role === 'worker' ? { maxRetriesPerRequest: null, enableReadyCheck: true } : { maxRetriesPerRequest: 1, connectTimeout: 5_000 };
}

/**
 * Duplicates a connection (same server or cluster, same options) for a caller that blocks on it,
 * such as a stream reader, so the shared one stays free for other commands.
 */
export function duplicateRedisClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate() : client.duplicate();
}

/**
 * Connects to a Redis server or a Redis Cluster as `target` says: what the CLI, the producer
 * and the client use, so a `redis+cluster://` URL works everywhere. Workers wait out a Redis
 * outage (`maxRetriesPerRequest: null`); producers fail fast. The URL is checked first
 * (ConfigError naming the problem, never the password).
 */
export function createRedisClient(target: string | RedisTarget, role: ConnectionRole): RedisClient {
  const { url, tlsCa } = typeof target === 'string' ? { url: target, tlsCa: undefined } : target;
  const parsed = parseRedisUrl(url);
  const tls = parsed.isTls ? { tls: tlsCa === undefined ? {} : { ca: tlsCa } } : {};
  let client: RedisClient;
  if (parsed.isCluster) {
    const options = {
      redisOptions: {
        ...roleOptions(role),
        ...(parsed.username !== undefined && { username: parsed.username }),
        ...(parsed.password !== undefined && { password: parsed.password }),
        ...tls,
      },
      // A producer hears of an unreachable cluster after a few tries instead of queueing for ever.
      ...(role === 'producer' && { clusterRetryStrategy: (times: number) => (times > 3 ? null : Math.min(times * 200, 1_000)) }),
    };
    client = new Cluster(
      parsed.nodes.map((node) => ({ host: node.host, port: node.port })),
      options,
    );
  } else {
    // ioredis reads the URL itself (user, password, db, rediss); only the CA is added.
    client = new Redis(url, { ...roleOptions(role), ...tls });
  }
  watchRedisErrors(client);
  return client;
}

/**
 * A connection to one Redis server (TLS and ACL users included), for callers that need the
 * `Redis` class itself; throws ConfigError for a cluster URL (use createRedisClient).
 */
export function createRedisConnection(target: string | RedisTarget, role: ConnectionRole): Redis {
  const url = typeof target === 'string' ? target : target.url;
  if (parseRedisUrl(url).isCluster) throw new ConfigError('REDIS_URL: a redis+cluster:// URL needs a cluster connection (createRedisClient), not a single-server one');
  const client = createRedisClient(target, role);
  if (!(client instanceof Redis)) throw new Error('a single-server URL gave a cluster connection');
  return client;
}
