import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import type { JobPriority } from '../../../src/job/job-priority.js';
import { createSlotLimiter, type LineDecision, type SlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { slotGroupOf } from '../../../src/limiter/slot-group.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, redisNowMs, uniquePrefix } from '../../helpers/redis.js';

const settings = { ...DEFAULT_LIMITER_SETTINGS, headroom: 0, maxSleepMs: 60_000, lateToleranceMs: 100 };

describe('slot limiter (Redis token bucket, capacity 1)', () => {
  let redis: Redis;
  const prefix = uniquePrefix('limiter');
  let limiter: SlotLimiter;

  beforeAll(() => {
    redis = connectTestRedis();
    limiter = createSlotLimiter(redis, createKeySpace(prefix), settings);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('spaces calls one interval apart instead of granting a burst', async () => {
    const slots: number[] = [];
    for (let i = 0; i < 5; i++) {
      const slot = await limiter.acquire(`even-${i}`, [{ name: 'even', ratePerMinute: 600 }]);
      expect(slot.kind).toBe('go');
      // Where the slot lies by Redis's clock: how long apart the acquires ran on a busy
      // machine (a CI run once saw 111 ms by the local clock) changes nothing.
      if (slot.kind === 'go') slots.push(slot.slotAtMs);
    }
    // 600 rpm = one call per 100 ms, back to back: no burst, no gap.
    const gaps = slots.slice(1).map((at, i) => at - (slots[i] ?? 0));
    expect(gaps).toEqual([100, 100, 100, 100]);
  });

  it('holds a far slot as a reservation, which the same job claims later', async () => {
    // 60 rpm with maxSleepMs 500: resv-b's slot (t0 + 1 s) is held, claimed after 600 ms, and
    // resv-c's (t0 + 2 s) still lies beyond maxSleepMs. Every step has about 500 ms to spare
    // for a busy machine (at 600 rpm and 50 ms they had 70 ms between them).
    const short = createSlotLimiter(redis, createKeySpace(prefix), { ...settings, maxSleepMs: 500 });
    const first = await short.acquire('resv-a', [{ name: 'resv', ratePerMinute: 60 }]);
    expect(first.kind).toBe('go');
    const second = await short.acquire('resv-b', [{ name: 'resv', ratePerMinute: 60 }]);
    expect(second).toMatchObject({ kind: 'reserved', deployment: 'resv' });
    await new Promise((r) => setTimeout(r, 600));
    const claim = await short.acquire('resv-b', [{ name: 'resv', ratePerMinute: 60 }]);
    expect(claim).toMatchObject({ kind: 'go', deployment: 'resv' });
    // The claim booked nothing new: resv-c gets the slot right after resv-b's (t0 + 2 s),
    // not one after a second booking (t0 + 3 s). Slot times by Redis's clock, so a slow
    // machine between the calls changes nothing.
    const third = await short.acquire('resv-c', [{ name: 'resv', ratePerMinute: 60 }]);
    expect(third.kind).toBe('reserved');
    if (first.kind !== 'paused' && second.kind !== 'paused' && claim.kind !== 'paused' && third.kind !== 'paused') {
      expect(claim.slotAtMs).toBe(second.slotAtMs);
      expect(third.slotAtMs - first.slotAtMs).toBeCloseTo(2_000, 0);
    }
  });

  it('says how late a held slot is claimed, so the caller measures lateness from the slot itself', async () => {
    // A tolerance far over the sleep: a busy machine claims later, and the claim still stands.
    const short = createSlotLimiter(redis, createKeySpace(prefix), { ...settings, maxSleepMs: 10, lateToleranceMs: 5_000 });
    await short.acquire('signed-a', [{ name: 'signed', ratePerMinute: 600 }]);
    const held = await short.acquire('signed-b', [{ name: 'signed', ratePerMinute: 600 }]);
    expect(held.kind).toBe('reserved');
    await new Promise((r) => setTimeout(r, 250));
    const askedAt = await redisNowMs(redis);
    const claim = await short.acquire('signed-b', [{ name: 'signed', ratePerMinute: 600 }]);
    const answeredBy = await redisNowMs(redis);
    // The slot was 100 ms after the first; claimed at least 250 ms after it: 150 ms late or more.
    expect(claim.kind).toBe('go');
    if (claim.kind === 'go' && held.kind === 'reserved') {
      expect(claim.slotAtMs).toBe(held.slotAtMs);
      expect(claim.waitMs).toBeLessThan(-100);
      // Exactly how late by Redis's clock at the claim, which lies between the two reads of it
      // (the local clock's idea of the sleep would add whatever the event loop lost).
      expect(claim.waitMs).toBeGreaterThanOrEqual(Math.floor(held.slotAtMs - answeredBy));
      expect(claim.waitMs).toBeLessThanOrEqual(Math.ceil(held.slotAtMs - askedAt));
    }
  });

  it('drops a reservation claimed too late and books a new slot', async () => {
    const short = createSlotLimiter(redis, createKeySpace(prefix), { ...settings, maxSleepMs: 10, lateToleranceMs: 0 });
    await short.acquire('late-a', [{ name: 'late', ratePerMinute: 1200 }]);
    const held = await short.acquire('late-b', [{ name: 'late', ratePerMinute: 1200 }]);
    expect(held.kind).toBe('reserved');
    await new Promise((r) => setTimeout(r, 200));
    const again = await short.acquire('late-b', [{ name: 'late', ratePerMinute: 1200 }]);
    // The old slot is gone; the bucket has refilled, so a new slot is available at once.
    expect(again).toMatchObject({ kind: 'go', waitMs: 0 });
  });

  it("gives a 429'd job the first slot after the wait that a delayed job holds; that job books again at the back, and a second 429'd job takes the next one", async () => {
    const short = createSlotLimiter(redis, createKeySpace(prefix), { ...settings, maxSleepMs: 50 });
    const line = [{ name: 'front', ratePerMinute: 600 }];
    const slots = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const decision = await short.acquire(`front-${i}`, line);
      if (decision.kind !== 'paused') slots.set(`front-${i}`, decision.slotAtMs);
    }
    const { cooldownUntil, retryInMs } = await short.cooldown('front', 250, { jobId: 'front-0' });
    expect(retryInMs).toBeGreaterThanOrEqual(250);
    // The first held slot at or after the cooldown's end changes hands.
    const [taken, takenAt] = [...slots].find(([, at]) => at >= cooldownUntil) ?? ['', 0];
    expect(await short.acquire('front-0', line)).toMatchObject({ kind: 'reserved', deployment: 'front', slotAtMs: takenAt });
    // Its holder finds it gone: a new slot after the last one booked (front-9's, 900 ms on).
    const rebooked = await short.acquire(taken, line);
    expect(rebooked.kind !== 'paused' && rebooked.slotAtMs).toBeCloseTo((slots.get('front-9') ?? 0) + 100, 1);
    // A second 429'd job takes the next held slot, not the one the first now holds.
    await short.cooldown('front', 0, { jobId: 'front-late' });
    const next = [...slots].filter(([job, at]) => at > takenAt && job !== taken).sort((a, b) => a[1] - b[1])[0];
    expect(await short.acquire('front-late', line)).toMatchObject({ kind: 'reserved', slotAtMs: next?.[1] });
  });

  it("keeps a 429'd job at the front when it claims its slot too late: it takes the next held slot, not the back", async () => {
    const short = createSlotLimiter(redis, createKeySpace(prefix), { ...settings, maxSleepMs: 50, lateToleranceMs: 20 });
    const line = [{ name: 'again', ratePerMinute: 600 }];
    const slots = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const decision = await short.acquire(`again-${i}`, line);
      if (decision.kind !== 'paused') slots.set(`again-${i}`, decision.slotAtMs);
    }
    await short.cooldown('again', 0, { jobId: 'again-0' });
    await new Promise((r) => setTimeout(r, 250));
    const claim = await short.acquire('again-0', line);
    expect(claim.kind).not.toBe('paused');
    const held = [...slots].filter(([job]) => job !== 'again-0' && job !== 'again-1').map(([, at]) => at);
    if (claim.kind !== 'paused') expect(held).toContain(claim.slotAtMs);
  });

  it('routes to the candidate whose next slot comes first', async () => {
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const slot = await limiter.acquire(`route-${i}`, [
        { name: 'route-a', ratePerMinute: 60 },
        { name: 'route-b', ratePerMinute: 60 },
      ]);
      if (slot.kind !== 'paused') picks.push(slot.deployment);
    }
    expect(picks.filter((p) => p === 'route-a')).toHaveLength(2);
    expect(picks.filter((p) => p === 'route-b')).toHaveLength(2);
  });

  it("rewrites a deployment's mirror of its slot-index memberships on every registration, though the set did not change (a worker of an older version adds memberships without it)", async () => {
    const keys = createKeySpace(prefix);
    const candidates = [{ name: 'mixed-versions', ratePerMinute: 60 }];
    const deployment = `${keys.limiterPrefix}deployment:mixed-versions`;
    await limiter.prepare([candidates]);
    const registered = (await redis.hget(deployment, 'indexes'))?.split(',') ?? [];
    expect(registered).toHaveLength(1);
    // The older worker's own group, added to the set alone.
    await redis.sadd(`${keys.limiterPrefix}groups-of:mixed-versions`, 'older-group:1');
    await createSlotLimiter(redis, keys, settings).prepare([candidates]);
    expect((await redis.hget(deployment, 'indexes'))?.split(',').sort()).toEqual([...registered, 'older-group:1'].sort());
  });

  it('gives no slot before a cooldown ends', async () => {
    const { cooldownUntil } = await limiter.cooldown('cool', 5_000);
    const slot = await limiter.acquire('cool-1', [{ name: 'cool', ratePerMinute: 600 }]);
    expect(slot.kind).toBe('go');
    // By Redis's clock, as the cooldown: how long the acquire took to run changes nothing.
    if (slot.kind === 'go') expect(slot.slotAtMs).toBeGreaterThanOrEqual(cooldownUntil);
    expect((await limiter.state('cool')).rateLimitedCount).toBe(1);
  });

  it('tells a job about to call that the deployment cools down, and for how long; one never throttled is callable', async () => {
    expect(await limiter.checkCallable('never-throttled')).toEqual({ kind: 'callable' });
    const { cooldownUntil } = await limiter.cooldown('cooling', 5_000);
    const state = await limiter.checkCallable('cooling');
    const answeredBy = await redisNowMs(redis);
    expect(state.kind).toBe('cooling_down');
    // What is left of the cooldown by Redis's clock at the check, which came before answeredBy.
    if (state.kind === 'cooling_down') {
      expect(state.remainingMs).toBeGreaterThanOrEqual(cooldownUntil - answeredBy);
      expect(state.remainingMs).toBeLessThanOrEqual(5_000);
    }
  });

  it('reports a paused deployment with its reason, and resumes', async () => {
    await limiter.pause('stop', 'auth: 401 Access denied');
    expect(await limiter.acquire('stop-1', [{ name: 'stop', ratePerMinute: 60 }])).toEqual({
      kind: 'paused',
      reasons: [{ deployment: 'stop', reason: 'auth: 401 Access denied' }],
    });
    const other = await limiter.acquire('stop-2', [
      { name: 'stop', ratePerMinute: 60 },
      { name: 'healthy', ratePerMinute: 60 },
    ]);
    expect(other).toMatchObject({ kind: 'go', deployment: 'healthy' });
    await limiter.resume('stop');
    expect(await limiter.acquire('stop-3', [{ name: 'stop', ratePerMinute: 60 }])).toMatchObject({ kind: 'go', deployment: 'stop' });
  });

  it("counts an hour of calls per minute (429s apart) in the call log's script, dropping minutes older than an hour", async () => {
    const keys = createKeySpace(prefix);
    const [seconds] = await redis.time();
    const minute = Math.floor(Number(seconds) / 60);
    // Minutes as an earlier hour of calls left them: one older than the hour, one inside it.
    await redis.hset(keys.limiterCallMinutes('chart'), { [String(minute - 61)]: 9, [`${minute - 61}:429`]: 4, [String(minute - 30)]: 2 });
    await limiter.recordCall('chart', 'ok');
    await limiter.recordCall('chart', 'error');
    await limiter.cooldown('chart', 0);
    const { callMinutes } = await limiter.state('chart');
    // The call minute is Redis's at the call: the test's read of the clock may be a minute behind it.
    const now = callMinutes.at(-1)?.minuteStartMs ?? 0;
    expect([minute, minute + 1]).toContain(now / 60_000);
    expect(callMinutes).toEqual([
      { minuteStartMs: (minute - 30) * 60_000, calls: 2, rateLimited: 0 },
      { minuteStartMs: now, calls: 3, rateLimited: 1 },
    ]);
    const ttlMs = await redis.pttl(keys.limiterCallMinutes('chart'));
    expect(ttlMs).toBeGreaterThan(60 * 60_000);
    expect(ttlMs).toBeLessThanOrEqual(61 * 60_000);
  });
});

describe('the waiting room: priority first, then batches in turn', () => {
  let redis: Redis;
  let queue: Queue;
  const prefix = uniquePrefix('room');
  const keys = createKeySpace(prefix);
  // 60 rpm: one slot a second, so with maxSleepMs 500 one job goes and the rest wait in line.
  const line = [{ name: 'room', ratePerMinute: 60 }];
  let limiter: SlotLimiter;

  /** A job parked in BullMQ (delayed), asking for its turn. */
  async function ask(jobId: string, priority: JobPriority, batchId: string, candidates = line): Promise<LineDecision> {
    if ((await queue.getJob(jobId)) === undefined) await queue.add('generate', {}, { jobId, delay: 600_000 });
    return limiter.acquireInLine(jobId, candidates, { priority, batchId });
  }

  beforeAll(() => {
    redis = connectTestRedis();
    queue = new Queue(IMAGE_QUEUE_NAME, { connection: redis, prefix: keys.bullPrefix });
    limiter = createSlotLimiter(redis, keys, { ...settings, maxSleepMs: 500 });
  });
  afterAll(async () => {
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('books nothing far: the jobs behind the first wait in line, and a high job that comes later goes before the bulk backlog', async () => {
    expect(await ask('bulk-0', 'bulk', 'backlog')).toMatchObject({ kind: 'go', waitMs: 0 });
    for (let i = 1; i <= 4; i++) expect(await ask(`bulk-${i}`, 'bulk', 'backlog')).toMatchObject({ kind: 'queued', ahead: i - 1 });
    const high = await ask('high-0', 'high', 'app');
    expect(high).toMatchObject({ kind: 'queued', ahead: 0 });
    // The first bulk job in line is now behind the high one.
    expect(await ask('bulk-1', 'bulk', 'backlog')).toMatchObject({ kind: 'queued', ahead: 1 });
    // At its wake time the high job takes the next slot (within maxSleepMs); the bulk job does not.
    await new Promise((r) => setTimeout(r, high.kind === 'queued' ? high.waitMs : 0));
    expect(await ask('high-0', 'high', 'app')).toMatchObject({ kind: 'go', deployment: 'room' });
    expect(await ask('bulk-1', 'bulk', 'backlog')).toMatchObject({ kind: 'queued', ahead: 0 });
  });

  it('alternates two batches of one priority, whatever the order they came in', async () => {
    const pair = [{ name: 'pair', ratePerMinute: 60 }];
    expect(await ask('a-0', 'normal', 'big', pair)).toMatchObject({ kind: 'go' });
    for (let i = 1; i <= 5; i++) await ask(`a-${i}`, 'normal', 'big', pair);
    // The small batch comes after the big one's five are in line, and takes every other place.
    const small = [];
    for (let i = 0; i < 3; i++) small.push(await ask(`b-${i}`, 'normal', 'small', pair));
    expect(small.map((d) => d.kind === 'queued' && d.ahead)).toEqual([1, 3, 5]);
  });

  it('still spills to a lower tier while the best one has no slot within the line\'s horizon', async () => {
    const tiers = [
      { name: 'tier-one', ratePerMinute: 60, priority: 1 },
      { name: 'tier-two', ratePerMinute: 60, priority: 2 },
    ];
    expect(await ask('t-0', 'normal', 't', tiers)).toMatchObject({ kind: 'go', deployment: 'tier-one' });
    expect(await ask('t-1', 'normal', 't', tiers)).toMatchObject({ kind: 'go', deployment: 'tier-two' });
    expect(await ask('t-2', 'normal', 't', tiers)).toMatchObject({ kind: 'queued', ahead: 0 });
  });

  it('does not let a parked job that was removed hold the line', async () => {
    const gone = [{ name: 'gone', ratePerMinute: 60 }];
    await ask('g-0', 'normal', 'g', gone);
    expect(await ask('g-1', 'normal', 'g', gone)).toMatchObject({ kind: 'queued', ahead: 0 });
    expect(await ask('g-2', 'normal', 'g', gone)).toMatchObject({ kind: 'queued', ahead: 1 });
    await queue.remove('g-1');
    expect(await ask('g-2', 'normal', 'g', gone)).toMatchObject({ kind: 'queued', ahead: 0 });
  });

  it('drops a removed head when the slot of the job behind it is free now, though that job takes its slot anyway: the head would make every job behind it come back late', async () => {
    // 4 × 60 rpm, maxSleepMs 1000: a slot of the group every 250 ms, booked 500 ms ahead.
    const four = Array.from({ length: 4 }, (_, i) => ({ name: `idle-${i}`, ratePerMinute: 60 }));
    const room = keys.limiterRoom(slotGroupOf(four, 0).id);
    const wide = createSlotLimiter(redis, keys, { ...settings, maxSleepMs: 1_000 });
    const askWide = async (jobId: string): Promise<LineDecision> => {
      if ((await queue.getJob(jobId)) === undefined) await queue.add('generate', {}, { jobId, delay: 600_000 });
      return wide.acquireInLine(jobId, four, { priority: 'normal', batchId: 'i' });
    };
    for (let i = 0; i < 4; i++) expect(await askWide(`i-${i}`)).toMatchObject({ kind: 'go' });
    expect(await askWide('i-4')).toMatchObject({ kind: 'queued', ahead: 0 });
    const behind = await askWide('i-5');
    expect(behind).toMatchObject({ kind: 'queued', ahead: 1 });
    await queue.remove('i-4');
    // Past every deployment's next slot: they are all free when i-5 comes back.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await askWide('i-5')).toMatchObject({ kind: 'go' });
    expect(await redis.zrange(room, 0, -1)).toEqual([]);
  });

  it('drops the spent tags of batches that left the clock behind (cancelled while in line), a sample of the clock every 16 slots, though the room never empties', async () => {
    const spent = [{ name: 'spent', ratePerMinute: 60 }];
    const room = keys.limiterRoom(slotGroupOf(spent, 0).id);
    const clock = `${room}:clock`;
    expect(await ask('sp-0', 'normal', 'sp', spent)).toMatchObject({ kind: 'go' });
    const blocker = await ask('sp-1', 'normal', 'sp', spent);
    expect(blocker).toMatchObject({ kind: 'queued', ahead: 0 });
    // Bulk batches whose jobs left the room without a slot: their tags are no more than the
    // bulk virtual time. The batch 'sixteen' had 15 jobs in line before: its next gets tag 16.
    await redis.hset(clock, { 'v:3': 10, 'b:3:gone-a': 5, 'b:3:gone-b': 7, 'b:2:sixteen': 15 });
    const sixteenth = await ask('sp-16', 'normal', 'sixteen', spent);
    expect(sixteenth).toMatchObject({ kind: 'queued', ahead: 1 });
    const [blockerWaitMs, sixteenthWaitMs] = [blocker, sixteenth].map((d) => (d.kind === 'queued' ? d.waitMs : 0));
    await new Promise((r) => setTimeout(r, blockerWaitMs));
    expect(await ask('sp-1', 'normal', 'sp', spent)).toMatchObject({ kind: 'go' });
    expect(await redis.hexists(clock, 'b:3:gone-a')).toBe(1);
    await new Promise((r) => setTimeout(r, (sixteenthWaitMs ?? 0) - (blockerWaitMs ?? 0)));
    expect(await ask('sp-16', 'normal', 'sixteen', spent)).toMatchObject({ kind: 'go' });
    const fields = Object.keys(await redis.hgetall(clock));
    expect(fields).not.toContain('b:3:gone-a');
    expect(fields).not.toContain('b:3:gone-b');
    expect(fields).toContain('v:3');
  });

  it("forgets a batch's tag once its last job in line has taken a slot, though the room is not empty, and lets the room's keys expire", async () => {
    const tidy = [{ name: 'tidy', ratePerMinute: 60 }];
    const room = keys.limiterRoom(slotGroupOf(tidy, 0).id);
    expect(await ask('o-0', 'normal', 'old', tidy)).toMatchObject({ kind: 'go' });
    const last = await ask('o-1', 'normal', 'old', tidy);
    expect(last).toMatchObject({ kind: 'queued', ahead: 0 });
    expect(await ask('w-0', 'normal', 'keep', tidy)).toMatchObject({ kind: 'queued', ahead: 1 });
    await new Promise((r) => setTimeout(r, last.kind === 'queued' ? last.waitMs : 0));
    expect(await ask('o-1', 'normal', 'old', tidy)).toMatchObject({ kind: 'go' });
    expect(await redis.zrange(room, 0, -1)).toEqual(['w-0']);
    // The old batch's tag is gone; the virtual time stays (the keep batch's tag, now no more than it, may go too).
    const clock = Object.keys(await redis.hgetall(`${room}:clock`));
    expect(clock).toContain('v:2');
    expect(clock).not.toContain('b:2:old');
    for (const key of [room, `${room}:until`, `${room}:clock`]) {
      const ttlMs = await redis.pttl(key);
      expect(ttlMs).toBeGreaterThan(23 * 3600_000);
      expect(ttlMs).toBeLessThanOrEqual(24 * 3600_000);
    }
  });
  it('spends no place in line for a job whose group turns out to be gone from Redis: its batch\'s next tag is the one it gets when it enters', async () => {
    const lost = [{ name: 'lost', ratePerMinute: 60 }];
    const id = slotGroupOf(lost, 0).id;
    const room = keys.limiterRoom(id);
    expect(await ask('l-0', 'normal', 'first', lost)).toMatchObject({ kind: 'go' });
    expect(await ask('l-1', 'normal', 'first', lost)).toMatchObject({ kind: 'queued', ahead: 0 });
    // The group's slot index lost, its hash and waiting room kept: this limiter still takes the
    // group for registered, so its first ask finds it unregistered, registers it and asks again.
    await redis.del(`${keys.limiterPrefix}group:${id}:tier:1`);
    expect(await ask('l-2', 'normal', 'second', lost)).toMatchObject({ kind: 'queued', ahead: 1 });
    // The first ask entered nothing: the batch's first job in line has tag 1, not 2.
    expect(await redis.hget(`${room}:clock`, 'b:2:second')).toBe('1');
  });

  it("renews the room's keys when a call finds their last renewal an hour old or more, so a room in use does not expire under its parked jobs; a call soon after a renewal leaves them be", async () => {
    const slow = [{ name: 'slow', ratePerMinute: 6 }];
    const room = keys.limiterRoom(slotGroupOf(slow, 0).id);
    const roomKeys = [room, `${room}:until`, `${room}:clock`];
    expect(await ask('sl-0', 'normal', 'sl', slow)).toMatchObject({ kind: 'go' });
    expect(await ask('sl-1', 'normal', 'sl', slow)).toMatchObject({ kind: 'queued', ahead: 0 });
    // As if the room had been renewed a little over an hour ago, and not since.
    await redis.hset(`${room}:clock`, 'touchedAt', (await redisNowMs(redis)) - 3_600_001);
    for (const key of roomKeys) await redis.pexpire(key, 60_000);
    expect(await ask('sl-1', 'normal', 'sl', slow)).toMatchObject({ kind: 'queued', ahead: 0 });
    for (const key of roomKeys) expect(await redis.pttl(key)).toBeGreaterThan(23 * 3600_000);
    // Renewed just now: the next park spends no command on it.
    for (const key of roomKeys) await redis.pexpire(key, 60_000);
    expect(await ask('sl-1', 'normal', 'sl', slow)).toMatchObject({ kind: 'queued', ahead: 0 });
    for (const key of roomKeys) expect(await redis.pttl(key)).toBeLessThanOrEqual(60_000);
  });

  it('gives every key of the room an expiry in the call that makes it: a room entered, left empty and entered again, its lapse times made again while its renewal is recent', async () => {
    const fresh = [{ name: 'fresh', ratePerMinute: 60 }];
    const room = keys.limiterRoom(slotGroupOf(fresh, 0).id);
    const roomKeys = [room, `${room}:until`, `${room}:clock`];
    /** Every room key that exists has an expiry of about a day. */
    async function expectEveryKeyExpires(): Promise<void> {
      for (const key of roomKeys) {
        const ttlMs = await redis.pttl(key);
        if (ttlMs !== -2) expect(ttlMs, key).toBeGreaterThan(23 * 3600_000);
      }
    }
    expect(await ask('f-0', 'normal', 'f', fresh)).toMatchObject({ kind: 'go' });
    const first = await ask('f-1', 'normal', 'f', fresh);
    expect(first).toMatchObject({ kind: 'queued', ahead: 0 });
    expect(await redis.exists(...roomKeys)).toBe(3);
    await expectEveryKeyExpires();
    // The room's last job leaves: the room and its lapse times go, the clock stays.
    await new Promise((r) => setTimeout(r, first.kind === 'queued' ? first.waitMs : 0));
    expect(await ask('f-1', 'normal', 'f', fresh)).toMatchObject({ kind: 'go' });
    expect(await redis.exists(room, `${room}:until`)).toBe(0);
    await expectEveryKeyExpires();
    // Entered again while the clock says the keys were just renewed.
    expect(await ask('f-2', 'normal', 'f', fresh)).toMatchObject({ kind: 'queued', ahead: 0 });
    expect(await redis.exists(...roomKeys)).toBe(3);
    await expectEveryKeyExpires();
    // The lapse times lost while the job is in line (written by hand): its next park makes them again.
    await redis.del(`${room}:until`);
    expect(await ask('f-2', 'normal', 'f', fresh)).toMatchObject({ kind: 'queued', ahead: 0 });
    expect(await redis.exists(`${room}:until`)).toBe(1);
    await expectEveryKeyExpires();
  });

  it('leaves no room key without an expiry when every deployment is paused', async () => {
    const stopped = [{ name: 'stopped', ratePerMinute: 60 }];
    const room = keys.limiterRoom(slotGroupOf(stopped, 0).id);
    await limiter.prepare([stopped]);
    await limiter.pause('stopped', 'test');
    expect(await ask('s-0', 'normal', 's', stopped)).toMatchObject({ kind: 'paused', reasons: [{ deployment: 'stopped', reason: 'test' }] });
    for (const key of [room, `${room}:until`, `${room}:clock`]) expect(await redis.pttl(key)).not.toBe(-1);
    expect(await redis.zcard(room)).toBe(0);
  });
});
