import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { createSlotLimiter, type SlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

describe('limiter: rate cuts after repeated 429s, tiers, call log', () => {
  let redis: Redis;
  let limiter: SlotLimiter;
  const prefix = uniquePrefix('adapt');
  const settings = { ...DEFAULT_LIMITER_SETTINGS, headroom: 0, maxSleepMs: 500 };

  beforeAll(() => {
    redis = connectTestRedis();
    limiter = createSlotLimiter(redis, createKeySpace(prefix), settings);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('keeps the full rate after a single 429, and cuts it multiplicatively on repeated ones', async () => {
    expect((await limiter.cooldown('cut', 0)).rateFactor).toBe(1);
    expect((await limiter.cooldown('cut', 0)).rateFactor).toBeCloseTo(0.7);
    expect((await limiter.cooldown('cut', 0)).rateFactor).toBeCloseTo(0.49);
    const state = await limiter.state('cut');
    expect(state.rateFactor).toBeCloseTo(0.49);
    expect(state.rateLimitedLastMinute).toBe(3);
  });

  it('spaces calls wider while the rate is cut', async () => {
    for (let i = 0; i < 3; i++) await limiter.cooldown('wide', 0);
    // 600 rpm = 100 ms apart; at 0.49 of it, about 204 ms apart.
    const first = await limiter.acquire('wide-1', [{ name: 'wide', ratePerMinute: 600 }]);
    const second = await limiter.acquire('wide-2', [{ name: 'wide', ratePerMinute: 600 }]);
    expect(first.kind === 'go' && second.kind === 'go').toBe(true);
    // Slot times by Redis's clock: the time between the two acquires (which shortens the
    // second's waitMs) changes nothing.
    if (first.kind === 'go' && second.kind === 'go') expect(second.slotAtMs - first.slotAtMs).toBeCloseTo(100 / 0.49, 1);
  });

  it('wins the rate back step by step on successful calls, never above the configured rate', async () => {
    await limiter.cooldown('back', 0);
    await limiter.cooldown('back', 0);
    expect((await limiter.state('back')).rateFactor).toBeCloseTo(0.7);
    for (let i = 0; i < 5; i++) await limiter.recordCall('back', 'ok');
    expect((await limiter.state('back')).rateFactor).toBeCloseTo(0.8);
    // Errors other than 429 neither cut nor restore the rate.
    await limiter.recordCall('back', 'error');
    expect((await limiter.state('back')).rateFactor).toBeCloseTo(0.8);
    for (let i = 0; i < 20; i++) await limiter.recordCall('back', 'ok');
    const state = await limiter.state('back');
    expect(state.rateFactor).toBe(1);
    expect(state.callsLastMinute).toBe(28);
  });

  it('cuts once per throttling episode: 429s of calls in flight during a cooldown do not cut again', async () => {
    await limiter.cooldown('episode', 0);
    await limiter.cooldown('episode', 5_000);
    expect((await limiter.state('episode')).rateFactor).toBeCloseTo(0.7);
    for (let i = 0; i < 5; i++) await limiter.cooldown('episode', 1_000);
    expect((await limiter.state('episode')).rateFactor).toBeCloseTo(0.7);
    expect((await limiter.state('episode')).rateLimitedLastMinute).toBe(7);
  });

  it('never cuts below the floor', async () => {
    for (let i = 0; i < 20; i++) await limiter.cooldown('floor', 0);
    expect((await limiter.state('floor')).rateFactor).toBeCloseTo(settings.minRateFactor);
  });

  it('prefers the best tier while it has a slot now, and spills to the next tier when it has not', async () => {
    const candidates = [
      { name: 'tier2', ratePerMinute: 600, priority: 2 },
      { name: 'tier1', ratePerMinute: 60, priority: 1 },
    ];
    const first = await limiter.acquire('tier-a', candidates);
    expect(first).toMatchObject({ kind: 'go', deployment: 'tier1', waitMs: 0 });
    // tier1's next slot is 1 s away (> maxSleepMs 500): tier2 can start at once, so it takes it.
    const second = await limiter.acquire('tier-b', candidates);
    expect(second).toMatchObject({ kind: 'go', deployment: 'tier2' });
  });
});
