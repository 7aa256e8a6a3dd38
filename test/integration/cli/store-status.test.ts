import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createStoreBreaker, type StoreBreaker } from '../../../src/storage/store-breaker.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';

describe('imgbatch status shows the store breaker', () => {
  let redis: Redis;
  let breaker: StoreBreaker;
  const prefix = uniquePrefix('store-status');
  let env: Record<string, string>;

  beforeAll(() => {
    redis = connectTestRedis();
    breaker = createStoreBreaker(redis, createKeySpace(prefix));
    env = { REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix };
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('a paused store: why, since when, by which worker, how many paid images wait in spools, and what clears it', async () => {
    await breaker.open({ code: 'write_forbidden', message: 'upload blob b/r-0.png failed (403 AuthorizationPermissionMismatch): AuthorizationPermissionMismatch' }, 'host-a:41');
    // A later failure keeps the first reason.
    expect(await breaker.open({ code: 'unreachable', message: 'connect ECONNREFUSED' }, 'host-b:42')).toBe(false);
    await breaker.markSpooled('b/r-0', 'host-a:41');
    await breaker.markSpooled('b/r-1', 'host-b:42');

    const json = await runCli(['status', '--json'], env);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { store: unknown }).store).toEqual({
      state: 'paused',
      code: 'write_forbidden',
      reason: 'the identity may read but not write (permission denied / HTTP 403) (upload blob b/r-0.png failed (403 AuthorizationPermissionMismatch): AuthorizationPermissionMismatch)',
      pausedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
      pausedBy: 'host-a:41',
      spooledImages: 2,
    });
    const text = await runCli(['status'], env);
    expect(text.stdout).toMatch(/^store: PAUSED for \d+ s \(since .*, first failed write on host-a:41\): the identity may read but not write .*; 2 paid image\(s\) wait in worker spools$/m);
    expect(text.stdout).toContain('it resumes by itself once a probe write succeeds');
  });

  it('a store that takes writes: ok', async () => {
    await breaker.reset();
    await breaker.unmarkSpooled('b/r-0');
    await breaker.unmarkSpooled('b/r-1');
    expect((JSON.parse((await runCli(['status', '--json'], env)).stdout) as { store: unknown }).store).toEqual({ state: 'ok', spooledImages: 0 });
    expect((await runCli(['status'], env)).stdout).toMatch(/^store: ok$/m);
  });
});
