import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import { createSlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { readRedisUsage } from '../../../src/queue/read-redis-usage.js';
import { useOwnRedisServer } from '../../helpers/redis.js';

const JOBS = 120;
const WAKE_GRID_MS = 100;
// 4 × 600 rpm: a slot of the group every 25 ms; maxSleepMs 1000 books 500 ms ahead, so about
// 20 jobs take a slot at their first ask and the rest wait in the room, then come back.
const CANDIDATES = Array.from({ length: 4 }, (_, i) => ({ name: `room-d${i}`, ratePerMinute: 600 }));

describe('the cost of a turn in the waiting room in Redis commands', () => {
  // A server of its own: INFO commandstats counts every client's commands.
  const ownRedis = useOwnRedisServer();

  // Measured: 23.7 commands per job before the room's keys were renewed only when due (and
  // dead heads swept only when they matter, a first ask not looked for in the room, spent tags
  // sampled every 16 slots, the head leaving with ZPOPMIN), 18.3 after; 1.8 asks per job.
  it('a backlog of jobs that enter the room, wait and come back for their slot costs at most 20 commands per job, all asks included (INFO commandstats)', async ({ annotate }) => {
    const redis = ownRedis();
    const keys = createKeySpace('room-cost');
    const limiter = createSlotLimiter(redis, keys, { ...DEFAULT_LIMITER_SETTINGS, headroom: 0, maxSleepMs: 1_000 });
    await limiter.prepare([CANDIDATES]);
    const ids = Array.from({ length: JOBS }, (_, i) => `room-job-${String(i).padStart(3, '0')}`);
    // Live BullMQ jobs: a parked job whose key is gone leaves the line.
    for (const id of ids) await redis.hset(`${keys.bullPrefix}:${IMAGE_QUEUE_NAME}:${id}`, 'name', 'generate');
    await redis.config('RESETSTAT');
    const wakeAt = new Map<string, number>();
    let asks = 0;
    async function ask(id: string, isFirstAsk: boolean): Promise<void> {
      asks++;
      const decision = await limiter.acquireInLine(id, CANDIDATES, { priority: 'normal', batchId: 'backlog', isUncalled: true, isFirstAsk });
      expect(decision.kind).not.toBe('paused');
      // Woken on a grid, as parked jobs are (take-slot.ts): jobs come back together, not one by one in line.
      if (decision.kind === 'queued') wakeAt.set(id, Math.floor((Date.now() + decision.waitMs) / WAKE_GRID_MS) * WAKE_GRID_MS);
      else wakeAt.delete(id);
    }
    for (const id of ids) await ask(id, true);
    while (wakeAt.size > 0) {
      // Of the jobs woken together, the last in line first: each finds jobs ahead of it.
      const [id, at] = [...wakeAt].reduce((a, b) => (b[1] < a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a));
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      await ask(id, false);
    }
    const usage = await readRedisUsage(redis);
    const perJob = usage.totalCommands / JOBS;
    await annotate(`${perJob.toFixed(2)} commands and ${(asks / JOBS).toFixed(2)} asks per job`);
    expect(perJob).toBeLessThanOrEqual(20);
  });
});
