import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { createSlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { readRedisUsage } from '../../../src/queue/read-redis-usage.js';
import { useOwnRedisServer } from '../../helpers/redis.js';

const ACQUIRES = 200;

describe('the cost of a slot in Redis commands', () => {
  // A server of its own: INFO commandstats counts every client's commands.
  const ownRedis = useOwnRedisServer();

  /** Commands Redis ran (those inside scripts included) per acquire, over ACQUIRES acquires among `deployments`. */
  async function commandsPerAcquire(deployments: number): Promise<number> {
    const redis = ownRedis();
    const keys = createKeySpace(`cost-${deployments}`);
    // Every slot granted to the worker, however far: the same path for both sizes.
    const limiter = createSlotLimiter(redis, keys, { ...DEFAULT_LIMITER_SETTINGS, maxSleepMs: 3_600_000 });
    const candidates = Array.from({ length: deployments }, (_, i) => ({ name: `d${i}`, ratePerMinute: 150 }));
    await limiter.prepare([candidates]);
    await redis.config('RESETSTAT');
    for (let i = 0; i < ACQUIRES; i++) {
      const decision = await limiter.acquire(`job-${i}`, candidates);
      expect(decision.kind).toBe('go');
    }
    const usage = await readRedisUsage(redis);
    return usage.totalCommands / ACQUIRES;
  }

  it('does not grow with the number of deployments: 64 deployments cost what 4 do (INFO commandstats)', async () => {
    const four = await commandsPerAcquire(4);
    const sixtyFour = await commandsPerAcquire(64);
    // Reading every deployment's state (4 HGETs each) would make 64 cost about ten times 4.
    expect(sixtyFour / four).toBeLessThanOrEqual(1.1);
  });
});
