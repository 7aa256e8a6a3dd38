import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { ensureRedis } from '../../../src/cli/ensure-redis.js';
import { freePort } from '../../../src/cli/redis-server-process.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';

describe('finding a Redis for a self-contained run', () => {
  it('uses REDIS_URL when it is set, and does not stop what it did not start', async () => {
    const redis = await ensureRedis('redis://example.invalid:6379');
    expect(redis).toMatchObject({ url: 'redis://example.invalid:6379', source: 'configured' });
    await redis.stop();
  });

  it('uses a Redis already answering on the local port', async () => {
    const port = Number(new URL(inject('redisUrl')).port);
    const redis = await ensureRedis(undefined, { localPort: port });
    expect(redis).toMatchObject({ url: `redis://127.0.0.1:${port}`, source: 'local' });
  });

  it('starts redis-server from PATH on a free port when nothing answers, and stops it afterwards', async () => {
    const redis = await ensureRedis(undefined, { localPort: await freePort() });
    expect(redis.source).toBe('started');
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await redis.stop();
    const after = new Redis(redis.url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('says how to get a Redis when there is none and redis-server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const attempt = ensureRedis(undefined, { localPort: await freePort() });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toThrow(/redis-server is not on PATH.*apt-get install redis-server.*REDIS_URL/);
    } finally {
      process.env.PATH = path;
    }
  });
});
