import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchRegistry, type BatchRegistry } from '../../../src/batch/batch-registry.js';
import { DEFAULT_LIMITER_SETTINGS } from '../../../src/config/load-config.js';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';
import { IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import { createSlotLimiter } from '../../../src/limiter/slot-limiter.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

describe('the batch registry\'s budget and cost (Lua on a real Redis)', () => {
  let redis: Redis;
  let batches: BatchRegistry;
  const prefix = uniquePrefix('cost');
  beforeAll(() => {
    redis = connectTestRedis();
    batches = createBatchRegistry(redis, createKeySpace(prefix));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('a batch without a budget takes any call, and counts what it cost', async () => {
    expect(await batches.reserveCost('free', 'j1', 1_000)).toMatchObject({ isWithinBudget: true, maxCostUsd: undefined });
    await batches.settleCost('free', 'j1', { callId: 'free-1', usd: 0.04, images: [{ imageKey: 'free/a-0', usd: 0.04 }] });
    expect(await batches.summary('free')).toMatchObject({ costUsd: 0.04, inFlightCostUsd: 0, maxCostUsd: undefined });
  });

  it('reserves while spent + in flight + the call stays within the budget, and refuses the call that would pass it', async () => {
    await batches.setMaxCost('capped', 0.1);
    expect(await batches.reserveCost('capped', 'j1', 0.04)).toMatchObject({ isWithinBudget: true, spentUsd: 0, inFlightUsd: 0, maxCostUsd: 0.1 });
    expect(await batches.reserveCost('capped', 'j2', 0.04)).toMatchObject({ isWithinBudget: true, inFlightUsd: 0.04 });
    expect(await batches.reserveCost('capped', 'j3', 0.04)).toMatchObject({ isWithinBudget: false, spentUsd: 0, inFlightUsd: 0.08 });
    expect(await batches.summary('capped')).toMatchObject({ costUsd: 0, inFlightCostUsd: 0.08 });
    // A call that came back cheaper than expected leaves room: exactly the budget is allowed.
    await batches.settleCost('capped', 'j1', { callId: 'capped-1', usd: 0.02, images: [{ imageKey: 'capped/a-0', usd: 0.02 }] });
    expect(await batches.checkBudget('capped', 'j3', 0.04)).toMatchObject({ isWithinBudget: true, spentUsd: 0.02, inFlightUsd: 0.04 });
    await batches.releaseCost('capped', 'j2');
    expect(await batches.summary('capped')).toMatchObject({ costUsd: 0.02, inFlightCostUsd: 0, maxCostUsd: 0.1 });
  });

  it('checking reserves nothing; a job reserving again replaces its own reservation', async () => {
    await batches.setMaxCost('again', 0.05);
    expect(await batches.checkBudget('again', 'j1', 0.04)).toMatchObject({ isWithinBudget: true });
    expect((await batches.summary('again')).inFlightCostUsd).toBe(0);
    await batches.reserveCost('again', 'j1', 0.04);
    // Taken over after a crash, the job reserves again: still one reservation, not two.
    expect(await batches.reserveCost('again', 'j1', 0.04)).toMatchObject({ isWithinBudget: true, inFlightUsd: 0 });
    expect(await batches.costReservations('again')).toEqual(['j1']);
    expect((await batches.summary('again')).inFlightCostUsd).toBe(0.04);
    // Refused, a job gives its own earlier reservation back.
    expect(await batches.reserveCost('again', 'j1', 0.06)).toMatchObject({ isWithinBudget: false });
    expect((await batches.summary('again')).inFlightCostUsd).toBe(0);
  });

  it('counts every call paid, once: a call settled again adds nothing, an image made again is paid again', async () => {
    const total = async (): Promise<number> => Number((await redis.hget(`{${prefix}}:cost`, 'spentMicros')) ?? 0) / 1e6;
    const before = await total();
    await batches.reserveCost('paid', 'j1', 0.05);
    // One call for two images; usage said 0.024 for the whole call.
    const first = { callId: 'call-1', usd: 0.024, images: [{ imageKey: 'paid/a-0', usd: 0.012 }, { imageKey: 'paid/a-1', usd: 0.012 }] };
    await batches.settleCost('paid', 'j1', first);
    // The same settle sent again (after a reconnect): nothing more is counted.
    await batches.settleCost('paid', 'j1', first);
    expect(await batches.summary('paid')).toMatchObject({ costUsd: 0.024, inFlightCostUsd: 0 });
    // a-0 went missing from the store and was made again by a second call: paid twice.
    await batches.settleCost('paid', 'j1', { callId: 'call-2', usd: 0.013, images: [{ imageKey: 'paid/a-0', usd: 0.013 }] });
    // A call that returned fewer images than it asked for still counts whole.
    await batches.settleCost('paid', 'j2', { callId: 'call-3', usd: 0.022, images: [{ imageKey: 'paid/b-0', usd: 0.011 }] });
    expect((await batches.summary('paid')).costUsd).toBe(0.059);
    expect(await total()).toBeCloseTo(before + 0.059, 6);
    expect(await batches.imageCosts('paid', ['paid/a-0', 'paid/a-1', 'paid/b-0', 'paid/c-0'])).toEqual(
      new Map([
        ['paid/a-0', 0.025],
        ['paid/a-1', 0.012],
        ['paid/b-0', 0.011],
      ]),
    );
  });

  it('finishes a job of one image in one script: the call settled, closed and logged, the outcome counted, the state gone; sent again, nothing counts twice', async () => {
    const keys = createKeySpace(prefix);
    const limiter = createSlotLimiter(redis, keys, DEFAULT_LIMITER_SETTINGS);
    const callLog = limiter.callLogEntry('finish-deployment', 'ok');
    await batches.addJobs('finish', [{ jobId: 'finish/a/v0', images: 1 }], 1);
    await batches.setMaxCost('finish', 1);
    expect(await batches.openCall('finish', 'finish/a/v0', { callId: 'finish-1', usd: 0.04, images: [{ imageKey: 'finish/a-0', usd: 0.04 }], timeoutMs: 60_000 })).toMatchObject({ kind: 'opened' });
    const settlement = { callId: 'finish-1', usd: 0.011, images: [{ imageKey: 'finish/a-0', usd: 0.011 }] };

    await batches.finishCall('finish', 'finish/a/v0', settlement, 'finish/a-0', 'stored', callLog);
    // The reply lost on the way: the same command again.
    await batches.finishCall('finish', 'finish/a/v0', settlement, 'finish/a-0', 'stored', callLog);

    const summary = await batches.summary('finish');
    expect(summary).toMatchObject({ costUsd: 0.011, inFlightCostUsd: 0, pending: 0 });
    expect(summary.counts).toMatchObject({ stored: 1 });
    expect(await batches.outcomeOf('finish', 'finish/a-0')).toBe('stored');
    expect(await batches.imageCosts('finish', ['finish/a-0'])).toEqual(new Map([['finish/a-0', 0.011]]));
    expect(await redis.exists(keys.jobState('finish/a/v0'))).toBe(0);
    const logged = await limiter.state('finish-deployment');
    expect({ callsLastMinute: logged.callsLastMinute, rateLimitedLastMinute: logged.rateLimitedLastMinute }).toEqual({ callsLastMinute: 1, rateLimitedLastMinute: 0 });
    expect(Object.values(await redis.hgetall(keys.limiterCallMinutes('finish-deployment')))).toEqual(['1']);
  });

  it("counts and logs the call of a job whose state was cleared while it ran (a cancel, a resume): the call was paid", async () => {
    const keys = createKeySpace(prefix);
    await batches.addJobs('cleared', [{ jobId: 'cleared/a/v0', images: 1 }], 1);
    expect(await batches.openCall('cleared', 'cleared/a/v0', { callId: 'cleared-1', usd: 0.04, images: [{ imageKey: 'cleared/a-0', usd: 0.04 }], timeoutMs: 60_000 })).toMatchObject({ kind: 'opened' });
    await batches.releaseCost('cleared', 'cleared/a/v0');
    await redis.del(keys.jobState('cleared/a/v0'));

    const limiter = createSlotLimiter(redis, keys, DEFAULT_LIMITER_SETTINGS);
    const callLog = limiter.callLogEntry('cleared-deployment', 'ok');
    await batches.finishCall('cleared', 'cleared/a/v0', { callId: 'cleared-1', usd: 0.011, images: [{ imageKey: 'cleared/a-0', usd: 0.011 }] }, 'cleared/a-0', 'stored', callLog);

    expect(await batches.summary('cleared')).toMatchObject({ costUsd: 0.011, inFlightCostUsd: 0 });
    expect(await batches.outcomeOf('cleared', 'cleared/a-0')).toBe('stored');
    expect(await redis.exists(keys.jobState('cleared/a/v0'))).toBe(0);
    expect((await limiter.state('cleared-deployment')).callsLastMinute).toBe(1);
  });

  it('drops only the reservations of jobs no worker holds: an active job keeps its own', async () => {
    const keys = createKeySpace(prefix);
    const queue = new Queue(IMAGE_QUEUE_NAME, { connection: redis, prefix: keys.bullPrefix });
    const workerConnection = connectTestRedis();
    let finishJob = (): void => undefined;
    let jobStarted = (): void => undefined;
    const isActive = new Promise<void>((resolve) => (jobStarted = resolve));
    const worker = new Worker(
      IMAGE_QUEUE_NAME,
      () => {
        jobStarted();
        return new Promise<void>((done) => (finishJob = done));
      },
      { connection: workerConnection, prefix: keys.bullPrefix },
    );
    try {
      await queue.add('image', {}, { jobId: 'busy' });
      await isActive;
      await batches.reserveCost('idle', 'busy', 0.01);
      // Left by a worker that died: its job is no longer active.
      await batches.reserveCost('idle', 'gone', 0.02);
      expect(await batches.releaseIdleReservations('idle')).toBe(1);
      expect(await batches.costReservations('idle')).toEqual(['busy']);
      expect((await batches.summary('idle')).inFlightCostUsd).toBe(0.01);
    } finally {
      finishJob();
      await worker.close();
      await queue.close();
      await workerConnection.quit();
    }
  });

  it('a budget can be raised and removed; a bad amount or batch id is refused', async () => {
    await batches.setMaxCost('raise', 0.01);
    expect((await batches.reserveCost('raise', 'j1', 0.04)).isWithinBudget).toBe(false);
    await batches.setMaxCost('raise', 1);
    expect((await batches.reserveCost('raise', 'j1', 0.04)).isWithinBudget).toBe(true);
    await batches.setMaxCost('raise', undefined);
    expect((await batches.summary('raise')).maxCostUsd).toBeUndefined();
    await expect(batches.setMaxCost('raise', -1)).rejects.toThrow(ValidationError);
    await expect(batches.setMaxCost('raise', Number.NaN)).rejects.toThrow(/maxCostUsd/);
    await expect(batches.setMaxCost('no:colons', 1)).rejects.toThrow(/batchId/);
  });

  describe('opening a call (open-call.lua): one open call per job, however many runs race for it', () => {
    const call = (callId: string, timeoutMs = 60_000) => ({ callId, usd: 0.04, images: [{ imageKey: 'open/a-0', usd: 0.04 }], timeoutMs });

    it('two runs of one job opening at once from two connections: exactly one opens, the other is told how long the open call may run', async () => {
      const other = connectTestRedis();
      try {
        const otherBatches = createBatchRegistry(other, createKeySpace(prefix));
        await batches.setMaxCost('open', 1);
        const openings = await Promise.all([batches.openCall('open', 'open/a/v0', call('run-1')), otherBatches.openCall('open', 'open/a/v0', call('run-2'))]);
        const opened = openings.filter((o) => o.kind === 'opened');
        const refused = openings.filter((o) => o.kind === 'in_flight');
        expect(opened).toHaveLength(1);
        expect(refused).toEqual([{ kind: 'in_flight', leftMs: expect.any(Number) as number }]);
        expect(refused[0]?.kind === 'in_flight' && refused[0].leftMs).toBeGreaterThan(50_000);
        expect(opened[0]).toMatchObject({ kind: 'opened', calls: 1 });
        expect((await batches.startJob('open', 'open/a/v0', 1)).counters).toMatchObject({ calls: 1, openCall: { usd: 0.04 } });
        // Counted and reserved once, for the one call sent.
        expect(await batches.summary('open')).toMatchObject({ calls: 1, inFlightCostUsd: 0.04 });
        const start = await batches.startJob('open', 'open/a/v0', 1);
        expect(start.openCallLeftMs).toBeGreaterThan(50_000);
      } finally {
        await other.quit();
      }
    });

    it('the call is closed by its own settlement only: a late settlement of another call leaves it open, and its reservation held', async () => {
      const first = await batches.openCall('close', 'close/a/v0', call('first'));
      expect(first.kind).toBe('opened');
      await batches.settleCost('close', 'close/a/v0', { callId: 'first', usd: 0.04, images: [] });
      const second = await batches.openCall('close', 'close/a/v0', call('second'));
      expect(second).toMatchObject({ kind: 'opened', calls: 2 });
      // The first call settled again (its worker came back late): the second stays open, and
      // its cost stays reserved, so no other job can take it as free budget.
      await batches.settleCost('close', 'close/a/v0', { callId: 'first', usd: 0.04, images: [] });
      expect(await batches.openCall('close', 'close/a/v0', call('third'))).toMatchObject({ kind: 'in_flight' });
      expect(await batches.summary('close')).toMatchObject({ costUsd: 0.04, inFlightCostUsd: 0.04 });
      // Its own settlement closes it and frees the reservation.
      await batches.settleCost('close', 'close/a/v0', { callId: 'second', usd: 0.04, images: [] });
      expect(await batches.summary('close')).toMatchObject({ costUsd: 0.08, inFlightCostUsd: 0 });
    });

    it('a call past its deadline (left by a worker that stopped) still refuses a new one, with 0 ms left, until it is settled', async () => {
      await batches.openCall('left', 'left/a/v0', call('left-open', 0));
      expect(await batches.startJob('left', 'left/a/v0', 1)).toMatchObject({ openCallLeftMs: 0, counters: { openCall: { callId: 'left-open' } } });
      expect(await batches.openCall('left', 'left/a/v0', call('next'))).toEqual({ kind: 'in_flight', leftMs: 0 });
      await batches.settleCost('left', 'left/a/v0', { callId: 'left-open', usd: 0.04, images: [], isPossiblyBilled: true });
      expect(await batches.openCall('left', 'left/a/v0', call('next'))).toMatchObject({ kind: 'opened' });
    });

    it('a call whose images are still being kept is held open longer: only its own, never shortened', async () => {
      await batches.openCall('hold', 'hold/a/v0', call('kept-slowly', 1_000));
      expect(await batches.holdCallOpen('hold/a/v0', 'kept-slowly', 60_000)).toBe(true);
      expect((await batches.startJob('hold', 'hold/a/v0', 1)).openCallLeftMs).toBeGreaterThan(50_000);
      // A shorter hold leaves the later deadline as it is.
      expect(await batches.holdCallOpen('hold/a/v0', 'kept-slowly', 0)).toBe(true);
      expect((await batches.startJob('hold', 'hold/a/v0', 1)).openCallLeftMs).toBeGreaterThan(50_000);
      // Another call's hold, or one after its settlement, changes nothing.
      expect(await batches.holdCallOpen('hold/a/v0', 'not-this-one', 60_000)).toBe(false);
      await batches.settleCost('hold', 'hold/a/v0', { callId: 'kept-slowly', usd: 0.04, images: [] });
      expect(await batches.holdCallOpen('hold/a/v0', 'kept-slowly', 60_000)).toBe(false);
      expect((await batches.startJob('hold', 'hold/a/v0', 1)).openCallLeftMs).toBeUndefined();
    });

    it('a call to a deployment paused or cooling down since its slot was taken is not opened, counted or reserved', async () => {
      const limiter = createSlotLimiter(redis, createKeySpace(prefix), DEFAULT_LIMITER_SETTINGS);
      const onto = (deployment: string) => ({ ...call(`to-${deployment}`), deployment });
      await batches.setMaxCost('stop', 1);
      await limiter.pause('stopped-one', 'HTTP 401: key revoked');
      expect(await batches.openCall('stop', 'stop/a/v0', onto('stopped-one'))).toEqual({ kind: 'paused', reason: 'HTTP 401: key revoked' });
      await limiter.cooldown('throttled-one', 30_000);
      const cooling = await batches.openCall('stop', 'stop/a/v0', onto('throttled-one'));
      expect(cooling).toMatchObject({ kind: 'cooling_down' });
      expect(cooling.kind === 'cooling_down' && cooling.remainingMs).toBeGreaterThan(20_000);
      expect(await batches.summary('stop')).toMatchObject({ calls: 0, inFlightCostUsd: 0 });
      expect(await batches.openCall('stop', 'stop/a/v0', onto('callable-one'))).toMatchObject({ kind: 'opened', calls: 1 });
    });

    it('only the run holding the job\'s BullMQ lock opens its call: a run whose lock another run took, or whose lock expired, opens nothing, counts nothing, reserves nothing', async () => {
      const keys = createKeySpace(prefix);
      const queue = new Queue(IMAGE_QUEUE_NAME, { connection: redis, prefix: keys.bullPrefix });
      // No processor: the test fetches the job itself, as a worker does, under a token of its own.
      const worker = new Worker(IMAGE_QUEUE_NAME, null, { connection: redis, prefix: keys.bullPrefix, lockDuration: 60_000 });
      try {
        await queue.add('image', {}, { jobId: 'locked/a/v0' });
        const job = await worker.getNextJob('token-of-the-run');
        expect(job.id).toBe('locked/a/v0');
        await batches.setMaxCost('locked', 1);
        const lockedCall = (callId: string, lockToken: string) => ({ ...call(callId), lockToken });
        expect(await batches.openCall('locked', 'locked/a/v0', lockedCall('by-a-lost-run', 'token-of-a-lost-run'))).toEqual({ kind: 'lost_lock' });
        expect(await batches.summary('locked')).toMatchObject({ calls: 0, inFlightCostUsd: 0 });
        expect(await batches.openCall('locked', 'locked/a/v0', lockedCall('by-the-run', 'token-of-the-run'))).toMatchObject({ kind: 'opened', calls: 1 });
        await batches.settleCost('locked', 'locked/a/v0', { callId: 'by-the-run', usd: 0.04, images: [] });
        // Its lock expired (a Redis pause longer than it): not its call to open any more.
        await redis.del(keys.imageJobLock('locked/a/v0'));
        expect(await batches.openCall('locked', 'locked/a/v0', lockedCall('after-expiry', 'token-of-the-run'))).toEqual({ kind: 'lost_lock' });
        expect(await batches.summary('locked')).toMatchObject({ calls: 1, costUsd: 0.04, inFlightCostUsd: 0 });
      } finally {
        await worker.close();
        await queue.close();
      }
    });

    it('the reservation is the open call\'s own: calls in flight of other jobs count against the budget, and no hash of reservations is written', async () => {
      await batches.setMaxCost('own', 0.1);
      await batches.addJobs('own', ['a', 'b', 'c'].map((id) => ({ jobId: `own/${id}/v0`, images: 1, line: '' })), 1);
      expect(await batches.openCall('own', 'own/a/v0', call('a'))).toMatchObject({ kind: 'opened', calls: 1 });
      expect(await batches.openCall('own', 'own/b/v0', call('b'))).toMatchObject({ kind: 'opened', calls: 1 });
      // 0.08 in flight: a third call of 0.04 would pass 0.1.
      expect(await batches.openCall('own', 'own/c/v0', call('c'))).toMatchObject({ kind: 'over_budget', verdict: { spentUsd: 0, inFlightUsd: 0.08 } });
      expect(await batches.summary('own')).toMatchObject({ calls: 2, inFlightCostUsd: 0.08 });
      expect(await batches.costReservations('own')).toEqual(['own/a/v0', 'own/b/v0']);
      expect(await redis.exists(createKeySpace(prefix).batchCostReservations('own'))).toBe(0);
      // a cost less than expected: 0.01 spent, 0.04 in flight, and c fits.
      await batches.settleCost('own', 'own/a/v0', { callId: 'a', usd: 0.01, images: [] });
      expect(await batches.summary('own')).toMatchObject({ costUsd: 0.01, inFlightCostUsd: 0.04 });
      expect(await batches.openCall('own', 'own/c/v0', call('c'))).toMatchObject({ kind: 'opened' });
    });

    it('a call taken back (its slot missed) is uncounted, its reservation given back and the call closed, only while it is the job\'s open call', async () => {
      await batches.setMaxCost('missed', 1);
      expect(await batches.openCall('missed', 'missed/a/v0', call('late'))).toMatchObject({ kind: 'opened', calls: 1 });
      expect(await batches.takeBackCall('missed', 'missed/a/v0', 'late')).toBe(true);
      expect(await batches.takeBackCall('missed', 'missed/a/v0', 'late')).toBe(false);
      expect(await batches.summary('missed')).toMatchObject({ calls: 0, inFlightCostUsd: 0 });
      expect(await batches.startJob('missed', 'missed/a/v0', 1)).toMatchObject({ openCallLeftMs: undefined, counters: { calls: 0 } });
      // Another run opened a call since (this one lost its lock): taking back the old one leaves it.
      expect(await batches.openCall('missed', 'missed/a/v0', call('newer'))).toMatchObject({ kind: 'opened', calls: 1 });
      expect(await batches.takeBackCall('missed', 'missed/a/v0', 'late')).toBe(false);
      expect(await batches.summary('missed')).toMatchObject({ calls: 1, inFlightCostUsd: 0.04 });
      expect(await batches.openCall('missed', 'missed/a/v0', call('third'))).toMatchObject({ kind: 'in_flight' });
    });

    it('an open call\'s reservation released (an unexpected error in its run) is given back once; a settlement of the call later counts its cost and gives nothing more back', async () => {
      expect(await batches.openCall('back', 'back/a/v0', call('missed'))).toMatchObject({ kind: 'opened' });
      expect(await batches.openCall('back', 'back/b/v0', call('other'))).toMatchObject({ kind: 'opened' });
      await batches.releaseCost('back', 'back/a/v0');
      await batches.releaseCost('back', 'back/a/v0');
      expect((await batches.summary('back')).inFlightCostUsd).toBe(0.04);
      // An unexpected error after the call was sent: the call stays open, its cost is counted when settled.
      await batches.settleCost('back', 'back/a/v0', { callId: 'missed', usd: 0.04, images: [], isPossiblyBilled: true });
      expect(await batches.summary('back')).toMatchObject({ costUsd: 0.04, inFlightCostUsd: 0.04 });
    });

    it('resuming gives back the reservations of open calls whose job no worker holds, once, and the call stays open for the job\'s next run to settle', async () => {
      const keys = createKeySpace(prefix);
      await batches.addJobs('orphan', [{ jobId: 'orphan/a/v0', images: 1, line: '' }, { jobId: 'orphan/b/v0', images: 1, line: '' }], 1);
      expect(await batches.openCall('orphan', 'orphan/a/v0', call('dead'))).toMatchObject({ kind: 'opened' });
      // orphan/b is active (a worker holds it): BullMQ's active list names it.
      await redis.lpush(keys.imageQueueActive, 'orphan/b/v0');
      try {
        expect(await batches.openCall('orphan', 'orphan/b/v0', call('alive'))).toMatchObject({ kind: 'opened' });
        expect(await batches.releaseIdleReservations('orphan')).toBe(1);
        expect(await batches.releaseIdleReservations('orphan')).toBe(0);
        expect(await batches.costReservations('orphan')).toEqual(['orphan/b/v0']);
        expect((await batches.summary('orphan')).inFlightCostUsd).toBe(0.04);
        expect(await batches.startJob('orphan', 'orphan/a/v0', 1)).toMatchObject({ counters: { openCall: { callId: 'dead' } } });
        await batches.settleCost('orphan', 'orphan/a/v0', { callId: 'dead', usd: 0.04, images: [], isPossiblyBilled: true });
        expect(await batches.summary('orphan')).toMatchObject({ costUsd: 0.04, inFlightCostUsd: 0.04 });
      } finally {
        await redis.lrem(keys.imageQueueActive, 0, 'orphan/b/v0');
      }
    });

    it('a call opened by an earlier version (its reservation in the batch\'s hash) gives that back when it is settled', async () => {
      const keys = createKeySpace(prefix);
      expect(await batches.openCall('legacy', 'legacy/a/v0', call('old'))).toMatchObject({ kind: 'opened' });
      // As an earlier version left it: the reservation in the hash, none with the call.
      await redis.hdel(keys.jobState('legacy/a/v0'), 'openReserved');
      await redis.hset(keys.batchCostReservations('legacy'), 'legacy/a/v0', 40_000);
      await batches.settleCost('legacy', 'legacy/a/v0', { callId: 'old', usd: 0.04, images: [] });
      expect(await batches.summary('legacy')).toMatchObject({ costUsd: 0.04, inFlightCostUsd: 0 });
      expect(await batches.costReservations('legacy')).toEqual([]);
    });

    it('a call over the budget is not opened, counted or reserved', async () => {
      await batches.setMaxCost('tight', 0.01);
      expect(await batches.openCall('tight', 'tight/a/v0', call('too-dear'))).toMatchObject({ kind: 'over_budget', verdict: { isWithinBudget: false, maxCostUsd: 0.01 } });
      expect(await batches.summary('tight')).toMatchObject({ calls: 0, inFlightCostUsd: 0 });
      // The job's start reads the budget too, for the check before a slot (no round trip of its own).
      expect(await batches.startJob('tight', 'tight/a/v0', 1)).toMatchObject({ openCallLeftMs: undefined, budget: { maxCostUsd: 0.01, spentUsd: 0, reservedUsd: 0 } });
    });
  });
});
