import { describe, expect, it } from 'vitest';
import { APIConnectionError, APIError } from 'openai';
import { ResponseTooLargeError } from '../../../src/errors/response-too-large-error.js';
import { processImageJob } from '../../../src/worker/process-image-job.js';
import { OPEN_CALL_GRACE_MS } from '../../../src/worker/stages/count-call.js';
import { KEEPING_ALLOWANCE_MS } from '../../../src/worker/stages/hold-call-open.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import type { StoreGate } from '../../../src/storage/store-guard.js';
import { azureImageCases, wireBody } from '../../fixtures/azure-image-cases.js';
import { createFakePendingDownloads, createFakeProcessor, createOpenStoreGate, fakeJob, imagesAnswer, RedisReplyError } from '../../helpers/processor-fakes.js';

function tooManyRequests(retryAfterMs: number): APIError {
  return APIError.generate(429, { error: { code: '429', message: 'Rate limit exceeded.' } }, undefined, new Headers({ 'retry-after-ms': String(retryAfterMs) }));
}

describe('processImageJob through its stages, on fakes of its own ports', () => {
  it('calls once, keeps the image, settles the call at its actual cost, records `stored`, and clears the job state', async () => {
    const p = createFakeProcessor();
    const job = fakeJob();
    const result = await processImageJob(p.deps, job);
    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' }, deployment: 'east', calls: 1 } });
    expect(p.calls).toHaveLength(1);
    expect(p.store.records.get('b/mug-0')).toMatchObject({ status: 'stored', costSource: 'usage' });
    expect(p.batches.settlements).toHaveLength(1);
    expect(p.batches.settlements[0]?.isPossiblyBilled).toBeUndefined();
    expect(p.batches.reservations.size).toBe(0);
    expect(p.jobState.states.has(job.id)).toBe(false);
    // Logged in its deployment's call log by the same script, not by a round trip of its own.
    expect(p.batches.callLogs).toEqual([{ keys: ['limiter:east', 'calls:east', 'minutes:east'], args: ['ok', 0.05, 'entry-1'] }]);
    expect(p.limiter.logged).toEqual([]);
  });

  it('a job of two images logs its call once, on its own, and settles and records apart', async () => {
    const p = createFakeProcessor();
    const result = await processImageJob(p.deps, fakeJob({ variants: [0, 1] }));
    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored', 'b/mug-1': 'stored' } } });
    expect(p.calls).toHaveLength(1);
    expect(p.limiter.logged).toEqual([{ deployment: 'east', result: 'ok' }]);
    expect(p.batches.callLogs).toEqual([]);
    expect(p.batches.settlements).toHaveLength(1);
  });

  it('a prompt the content filter refuses ends `filtered` after one call, its refusal kept, and clears the job state', async () => {
    const refusal = azureImageCases.find((testCase) => testCase.name === 'prompt-filter-inner_error');
    if (refusal === undefined) throw new Error('no fixture case prompt-filter-inner_error');
    const p = createFakeProcessor({ answer: () => Promise.reject(APIError.generate(refusal.status, JSON.parse(wireBody(refusal)) as object, undefined, new Headers(refusal.headers))) });
    const job = fakeJob();

    const result = await processImageJob(p.deps, job);

    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'filtered' } } });
    expect(p.calls).toHaveLength(1);
    expect(p.store.records.get('b/mug-0')).toMatchObject({ status: 'filtered' });
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'filtered' });
    expect(p.jobState.states.has(job.id)).toBe(false);
    expect(p.limiter.logged).toEqual([{ deployment: 'east', result: 'ok' }]);
  });

  it('an image the store already holds is recorded from the store and never called for', async () => {
    const p = createFakeProcessor();
    await processImageJob(p.deps, fakeJob());
    const again = createFakeProcessor();
    for (const [key, record] of p.store.records) again.store.records.set(key, record);
    expect(await processImageJob(again.deps, fakeJob())).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(again.calls).toHaveLength(0);
  });

  it('a store that cannot be read puts the job back after a backoff, with no call and no outcome', async () => {
    const p = createFakeProcessor();
    p.store.isUnreadable = true;
    const result = await processImageJob(p.deps, fakeJob());
    expect(result).toMatchObject({ kind: 'delayed', reason: 'store unreadable: connect ECONNREFUSED 127.0.0.1:10000' });
    expect(result.kind === 'delayed' && result.untilMs).toBeGreaterThan(p.clockMs);
    expect(p.calls).toHaveLength(0);
    expect(p.batches.outcomes.size).toBe(0);
  });

  it('a job older than maxWaitMs fails with reason waited_too_long and the last error, without a call', async () => {
    const p = createFakeProcessor({ settings: { maxWaitMs: 60_000 } });
    const job = fakeJob();
    await p.jobState.setLastError(job.id, 'server_error: boom');
    p.clockMs = 61 * 60_000;
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'failed' });
    expect(p.batches.outcomes.get('b/mug-0')).toEqual({ outcome: 'failed', reason: 'waited_too_long', error: 'waited 61 min without finishing, over the 1 min allowed; last error: server_error: boom' });
    expect(p.calls).toHaveLength(0);
  });

  it('429s are waited out on the deployment\'s cooldown until maxRateLimitWaits, then the image fails with rate_limited_too_often', async () => {
    const p = createFakeProcessor({
      settings: { maxRateLimitWaits: 2 },
      answer: () => Promise.reject(tooManyRequests(1_500)),
    });
    const job = fakeJob();
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'delayed', reason: '429 from east, retry in 1500 ms' });
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'delayed' });
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'failed' });
    expect(p.calls).toHaveLength(3);
    expect(p.limiter.cooldowns).toEqual([
      { deployment: 'east', waitMs: 1_500 },
      { deployment: 'east', waitMs: 1_500 },
    ]);
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'failed', reason: 'rate_limited_too_often' });
    // A 429 is billed for nothing: no spend, no reservation left.
    expect(p.batches.spentUsd).toBe(0);
    expect(p.batches.reservations.size).toBe(0);
  });

  it('a slot missed by more than the tolerance is given back (call uncounted, budget released) and the next one taken', async () => {
    const p = createFakeProcessor();
    // The first slot is 100 ms away but the process wakes 200 ms late: the fake sleep cannot be
    // late, so the clock is moved as a busy event loop would.
    p.limiter.offers.push({ kind: 'go', deployment: 'east', waitMs: 100, slotAtMs: 0 });
    const sleep = p.deps.sleep;
    let isFirstSleep = true;
    const deps = {
      ...p.deps,
      sleep: async (ms: number) => {
        await sleep?.(ms);
        if (isFirstSleep) p.clockMs += 200;
        isFirstSleep = false;
      },
    };
    expect(await processImageJob(deps, fakeJob())).toMatchObject({ kind: 'completed' });
    expect(p.calls).toEqual([{ deployment: 'east', variants: [0], callNumber: 1 }]);
    expect(p.batches.calls).toBe(1);
  });

  it('a turn in line a few seconds away is waited for in the process, then the slot is taken: the job is not parked', async () => {
    const p = createFakeProcessor();
    const deps = { ...p.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 } };
    p.limiter.offers.push({ kind: 'queued', waitMs: 3_000, ahead: 40 }, { kind: 'go', deployment: 'east', waitMs: 200, slotAtMs: 0 });
    expect(await processImageJob(deps, fakeJob())).toMatchObject({ kind: 'completed' });
    expect(p.sleeps.slice(0, 2)).toEqual([3_000, 200]);
    expect(p.calls).toHaveLength(1);
  });

  it('a job on its first run asks for its slot first as one with no place in the waiting room to look for; its asks after a wait there, and a run after a park, look for its place', async () => {
    const p = createFakeProcessor();
    const deps = { ...p.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 } };
    p.limiter.offers.push({ kind: 'queued', waitMs: 3_000, ahead: 40 }, { kind: 'queued', waitMs: 12_345, ahead: 30 });
    expect(await processImageJob(deps, fakeJob())).toMatchObject({ kind: 'delayed' });
    expect(await processImageJob(deps, { ...fakeJob(), wasDelayed: true })).toMatchObject({ kind: 'completed' });
    expect(p.limiter.asks.map((place) => place.isFirstAsk)).toEqual([true, false, false]);
  });

  it('a turn farther than the wait in the process parks the job, woken on the grid ahead of its turn so jobs parked together come back together', async () => {
    const p = createFakeProcessor();
    const deps = { ...p.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 } };
    p.clockMs = 1_010;
    p.limiter.offers.push({ kind: 'queued', waitMs: 12_345, ahead: 200 });
    // 1_010 + 12_345 = 13_355, put down to the 250 ms grid.
    expect(await processImageJob(deps, fakeJob())).toMatchObject({ kind: 'delayed', untilMs: 13_250, reason: 'waiting for a slot behind 200 jobs' });
    expect(p.calls).toHaveLength(0);
  });

  it('asks whether its worker slot is wanted with how far its turn is: a backlog that keeps a near turn lets it wait, one that wants the slot parks it', async () => {
    const asked: (number | undefined)[] = [];
    const backlogWanting = (isWanted: boolean) => ({
      isSlotWanted: (turnInMs?: number) => {
        asked.push(turnInMs);
        return Promise.resolve(isWanted);
      },
    });
    const kept = createFakeProcessor();
    const keptDeps = { ...kept.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 }, backlog: backlogWanting(false) };
    kept.limiter.offers.push({ kind: 'queued', waitMs: 3_000, ahead: 40 }, { kind: 'go', deployment: 'east', waitMs: 0, slotAtMs: 0 });
    expect(await processImageJob(keptDeps, fakeJob())).toMatchObject({ kind: 'completed' });
    // Its turn 3 s away, as the limiter said; nothing is asked of a job that only sleeps to its slot.
    expect(asked).toContain(3_000);

    const wanted = createFakeProcessor();
    const wantedDeps = { ...wanted.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 }, backlog: backlogWanting(true) };
    wanted.limiter.offers.push({ kind: 'queued', waitMs: 3_000, ahead: 40 });
    expect(await processImageJob(wantedDeps, fakeJob())).toMatchObject({ kind: 'delayed', reason: 'waiting for a slot behind 40 jobs' });
    expect(wanted.calls).toHaveLength(0);
  });

  it('waits in the process for a turn add up: once they would pass the bound, the job parks', async () => {
    const p = createFakeProcessor();
    const deps = { ...p.deps, lineWait: { inProcessMs: 10_000, parkGridMs: 250, gateMs: 10_000 } };
    // A better job came in while it waited: its turn moved back.
    p.limiter.offers.push({ kind: 'queued', waitMs: 6_000, ahead: 60 }, { kind: 'queued', waitMs: 6_000, ahead: 60 });
    expect(await processImageJob(deps, fakeJob())).toMatchObject({ kind: 'delayed', reason: 'waiting for a slot behind 60 jobs' });
    expect(p.sleeps).toEqual([6_000]);
    expect(p.calls).toHaveLength(0);
  });

  it('four slots missed in a row put the job back at once, with nothing counted', async () => {
    const p = createFakeProcessor();
    for (let i = 0; i < 4; i++) p.limiter.offers.push({ kind: 'go', deployment: 'east', waitMs: -1_000, slotAtMs: 0 });
    const result = await processImageJob(p.deps, fakeJob());
    expect(result).toMatchObject({ kind: 'delayed', reason: 'missed 4 slots in a row (process too busy)', untilMs: p.clockMs });
    expect(p.calls).toHaveLength(0);
    expect(p.batches.calls).toBe(0);
    expect(p.batches.reservations.size).toBe(0);
  });

  it('a call over the batch budget is not made: the image ends skipped with reason budget_exceeded, the job failed so `imgbatch resume` finds its data', async () => {
    const p = createFakeProcessor();
    p.batches.maxCostUsd = 0.001;
    expect(await processImageJob(p.deps, fakeJob())).toMatchObject({ kind: 'failed', message: expect.stringContaining("would exceed the batch's budget") as unknown });
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'skipped', reason: 'budget_exceeded' });
    expect(p.calls).toHaveLength(0);
  });

  it('Redis refusing bookkeeping right after the call: the image is kept first, settling and recording are retried until Redis answers, one call', async () => {
    const p = createFakeProcessor();
    p.batches.failures.settleCost = 2;
    p.batches.failures.recordOutcome = 1;
    // A job of one image settles and records in one script (finishCall), retried whole.
    const storedBeforeSettle: boolean[] = [];
    const finish = p.batches.finishCall.bind(p.batches);
    p.batches.finishCall = async (...args) => {
      storedBeforeSettle.push(p.store.images.has('b/mug-0'));
      return finish(...args);
    };
    expect(await processImageJob(p.deps, fakeJob())).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(storedBeforeSettle).toEqual([true, true, true, true]);
    // Each of the four tries carries the one call-log entry made for the job's end.
    expect(p.batches.callLogs).toHaveLength(4);
    expect(new Set(p.batches.callLogs.map((entry) => JSON.stringify(entry))).size).toBe(1);
    expect(p.batches.settlements).toHaveLength(1);
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'stored' });
    expect(p.calls).toHaveLength(1);
    expect(p.sleeps).toHaveLength(3);
  });

  it('Redis refusing bookkeeping for longer than the retries: the job fails with the error, and the image is kept for the next run to find', async () => {
    const p = createFakeProcessor();
    p.batches.failures.settleCost = 100;
    await expect(processImageJob(p.deps, fakeJob())).rejects.toBeInstanceOf(RedisReplyError);
    expect(p.store.images.has('b/mug-0')).toBe(true);
    p.batches.failures.settleCost = 0;
    // The next run, after the call's deadline: the image is in the store, its call counted as possibly billed.
    p.clockMs += 60_000;
    expect(await processImageJob(p.deps, fakeJob())).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(p.calls).toHaveLength(1);
    expect(p.batches.settlements).toEqual([expect.objectContaining({ isPossiblyBilled: true })]);
  });

  it('a call left open by a worker that stopped mid-call is settled as possibly billed at its expected cost before the job goes on', async () => {
    const p = createFakeProcessor();
    const job = fakeJob();
    p.jobState.leaveOpenCall(job.id, { callId: 'dead-worker-call', usd: 0.011, images: [{ imageKey: 'b/mug-0', usd: 0.011 }] });
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'completed', summary: { calls: 2 } });
    expect(p.batches.settlements[0]).toEqual({ callId: 'dead-worker-call', usd: 0.011, images: [{ imageKey: 'b/mug-0', usd: 0.011 }], isPossiblyBilled: true });
    expect(p.batches.settlements).toHaveLength(2);
  });

  it('a job taken over while its call may still be in flight waits for the call\'s deadline, then keeps what the living worker stored, without a second call', async () => {
    const p = createFakeProcessor();
    const job = fakeJob();
    // Worker A counted its call (timeout 60 s) and lost the job in a Redis pause; it is still waiting for the answer.
    const untilMs = p.clockMs + 60_000;
    p.jobState.leaveOpenCall(job.id, { callId: 'call-of-a', usd: 0.011, images: [{ imageKey: 'b/mug-0', usd: 0.011 }], untilMs });
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'delayed', untilMs });
    expect(p.calls).toHaveLength(0);
    expect(p.batches.settlements).toHaveLength(0);

    // A's answer came back and A kept the image (its bookkeeping may still be under way).
    const a = createFakeProcessor();
    await processImageJob(a.deps, job);
    for (const [key, record] of a.store.records) p.store.records.set(key, record);
    p.clockMs = untilMs;
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(p.calls).toHaveLength(0);
    // Counted once, as possibly billed; A settling the same call id later counts nothing more.
    expect(p.batches.settlements).toEqual([expect.objectContaining({ callId: 'call-of-a', isPossiblyBilled: true })]);
  });

  it('a deployment paused or cooling down while the job slept towards its slot gets no call: the opening names the deployment and the job waits', async () => {
    for (const refusal of [{ kind: 'paused', reason: 'HTTP 401' }, { kind: 'cooling_down', remainingMs: 5_000 }] as const) {
      const p = createFakeProcessor();
      p.limiter.offers.push({ kind: 'go', deployment: 'east', waitMs: 500, slotAtMs: 500 });
      const asked: Array<string | undefined> = [];
      p.batches.openCall = (_batchId, _jobId, call) => {
        asked.push(call.deployment);
        return Promise.resolve(refusal);
      };
      const result = await processImageJob(p.deps, fakeJob());
      expect(result.kind).toBe('delayed');
      expect(asked).toEqual(['east']);
      expect(p.calls).toHaveLength(0);
    }
  });

  it('the call in flight is opened with the deployment\'s timeout and a grace: open until its start plus both (by Redis\'s clock)', async () => {
    const p = createFakeProcessor({ answer: () => Promise.reject(new Error('never answered')) });
    const job = fakeJob();
    const seen: unknown[] = [];
    const openCall = p.batches.openCall.bind(p.batches);
    p.batches.openCall = async (batchId, jobId, call) => {
      const opening = await openCall(batchId, jobId, call);
      seen.push({ timeoutMs: call.timeoutMs, opening });
      return opening;
    };
    const startMs = p.clockMs;
    await processImageJob(p.deps, job);
    expect(seen).toEqual([{ timeoutMs: 60_000 + OPEN_CALL_GRACE_MS, opening: expect.objectContaining({ kind: 'opened', untilMs: startMs + 60_000 + OPEN_CALL_GRACE_MS }) as unknown }]);
  });

  it('an answer that comes back close to its call\'s deadline holds the call open for the keeping allowance before its images are kept; one well inside its timeout does not', async () => {
    // The deployment's timeout is 60 s; this answer arrives 50 s into it, 10 s before the deadline.
    const late = createFakeProcessor({
      answer: (_deployment, job) => {
        late.clockMs += 50_000;
        return Promise.resolve({ body: imagesAnswer(job.variants.length), latencyMs: 50_000 });
      },
    });
    const job = fakeJob();
    const putImage = late.store.putImage.bind(late.store);
    const heldBeforeKept: number[] = [];
    late.store.putImage = async (...args) => {
      heldBeforeKept.push(late.batches.holds.length);
      return putImage(...args);
    };
    expect(await processImageJob(late.deps, job)).toMatchObject({ kind: 'completed' });
    expect(late.batches.holds).toEqual([{ jobId: job.id, callId: late.batches.settlements[0]?.callId, ms: KEEPING_ALLOWANCE_MS }]);
    expect(heldBeforeKept).toEqual([1]);

    const early = createFakeProcessor();
    expect(await processImageJob(early.deps, fakeJob())).toMatchObject({ kind: 'completed' });
    expect(early.batches.holds).toEqual([]);
  });

  it('a second run of the job that reaches its call while the first run\'s call is open makes no call and waits for that call\'s deadline', async () => {
    const p = createFakeProcessor();
    const job = fakeJob();
    // The first run opened its call after this run had read the job's state (both alive after a Redis pause).
    const startJob = p.batches.startJob.bind(p.batches);
    p.batches.startJob = async (batchId, jobId, images) => {
      const start = await startJob(batchId, jobId, images);
      p.jobState.leaveOpenCall(job.id, { callId: 'call-of-the-first-run', usd: 0.011, images: [{ imageKey: 'b/mug-0', usd: 0.011 }], untilMs: p.clockMs + 60_000 });
      return start;
    };
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'delayed', untilMs: p.clockMs + 60_000 });
    expect(p.calls).toHaveLength(0);
    expect(p.batches.reservations.size).toBe(0);
    expect((await p.jobState.read(job.id)).openCall?.callId).toBe('call-of-the-first-run');
  });

  it('reads the store only after the job\'s state: images another run kept just before it closed its call are found, not made and paid again', async () => {
    const p = createFakeProcessor();
    const job = fakeJob();
    // The other run (alive after a Redis pause) keeps its image and closes its call while this
    // run's state read is on its way: the state comes back with no call open.
    const kept = createFakeProcessor();
    await processImageJob(kept.deps, job);
    const startJob = p.batches.startJob.bind(p.batches);
    p.batches.startJob = async (batchId, jobId, images) => {
      const start = await startJob(batchId, jobId, images);
      for (const [key, record] of kept.store.records) p.store.records.set(key, record);
      return start;
    };
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(p.calls).toHaveLength(0);
  });

  it('opens its call only under the job\'s lock: a run whose lock another run took makes no call, reserves nothing, records nothing, and ends `lost`', async () => {
    const p = createFakeProcessor();
    const tokens: Array<string | undefined> = [];
    const openCall = p.batches.openCall.bind(p.batches);
    p.batches.openCall = (batchId, jobId, call) => {
      tokens.push(call.lockToken);
      return call.lockToken === 'token-of-the-run-that-took-over' ? openCall(batchId, jobId, call) : Promise.resolve({ kind: 'lost_lock' });
    };
    const result = await processImageJob(p.deps, { ...fakeJob(), lockToken: 'token-of-the-lost-run' });
    expect(result).toMatchObject({ kind: 'lost' });
    expect(tokens).toEqual(['token-of-the-lost-run']);
    expect(p.calls).toHaveLength(0);
    expect(p.batches.reservations.size).toBe(0);
    expect(p.batches.outcomes.size).toBe(0);

    expect(await processImageJob(p.deps, { ...fakeJob(), lockToken: 'token-of-the-run-that-took-over' })).toMatchObject({ kind: 'completed' });
    expect(p.calls).toHaveLength(1);
  });

  it('a call whose connection is reset after it was sent is settled as possibly billed, and retried as an attempt', async () => {
    const p = createFakeProcessor({
      answer: () => Promise.reject(new APIConnectionError({ cause: new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }) })),
    });
    const job = fakeJob();
    expect(await processImageJob(p.deps, job)).toMatchObject({ kind: 'delayed' });
    expect(p.batches.settlements).toEqual([expect.objectContaining({ isPossiblyBilled: true })]);
    expect(p.batches.spentUsd).toBeGreaterThan(0);
    expect((await p.jobState.read(job.id)).openCall).toBeUndefined();
  });

  it('an answer over the size cap is final after one call: failed with reason response_too_large, the call settled as possibly billed', async () => {
    const p = createFakeProcessor({ answer: () => Promise.reject(new ResponseTooLargeError(1_000, 4_096)) });
    expect(await processImageJob(p.deps, fakeJob())).toMatchObject({ kind: 'failed', message: expect.stringContaining('an answer too large to read') as unknown });
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'failed', reason: 'response_too_large' });
    expect(p.calls).toHaveLength(1);
    expect(p.batches.settlements).toEqual([expect.objectContaining({ isPossiblyBilled: true })]);
    expect(p.batches.spentUsd).toBeGreaterThan(0);
  });

  it('a call that comes back with fewer images than asked settles the whole call and retries only the missing one', async () => {
    const p = createFakeProcessor({ answer: () => Promise.resolve({ body: imagesAnswer(1), latencyMs: 5 }) });
    const result = await processImageJob(p.deps, fakeJob({ variants: [0, 1], model: 'gpt-image-1' }));
    expect(result).toMatchObject({ kind: 'delayed' });
    expect(p.batches.outcomes.get('b/mug-0')).toMatchObject({ outcome: 'stored' });
    expect(p.batches.outcomes.has('b/mug-1')).toBe(false);
    expect(p.batches.settlements).toHaveLength(1);
  });
});

describe('processImageJob: changed rows, pending downloads and the store gate', () => {
  it('an image stored for another request (its fingerprint differs) is made again; one stored without a fingerprint is kept', async () => {
    const p = createFakeProcessor();
    p.store.records.set('b/mug-0', { key: 'b/mug-0', status: 'stored', fingerprint: 'a'.repeat(32) } as ImageRecord);
    p.store.records.set('b/mug-1', { key: 'b/mug-1', status: 'stored' } as ImageRecord);
    const result = await processImageJob(p.deps, fakeJob({ variants: [0, 1], fingerprint: 'b'.repeat(32) }));
    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored', 'b/mug-1': 'stored' } } });
    expect(p.calls).toHaveLength(1);
    expect(p.store.records.get('b/mug-0')).toMatchObject({ fingerprint: 'b'.repeat(32) });
  });

  it('an image left at a URL by an earlier run is downloaded and kept, with no new call', async () => {
    const p = createFakeProcessor();
    const pendingDownloads = createFakePendingDownloads();
    const record = { key: 'b/mug-0', status: 'stored' } as ImageRecord;
    // The earlier run's call was counted (and settled) before its answer left the URL.
    p.jobState.states.set('b/mug/v0', { calls: 1, freeCalls: 0, rateLimitWaits: 0, timeouts: 0, lastError: undefined });
    await pendingDownloads.keep('b/mug/v0', 0, { url: 'https://files.example/0.png', expiresAtMs: 10_000_000, tries: 1, cause: 'HTTP 503', record });
    const result = await processImageJob({ ...p.deps, pendingDownloads }, fakeJob());
    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(p.calls).toHaveLength(0);
    expect(p.store.records.get('b/mug-0')).toEqual(record);
    expect(pendingDownloads.kept.get('b/mug/v0')?.size).toBe(0);
  });

  it('a job whose state was cleared (resume, review) but whose image waits at a URL is downloaded, not called and paid again', async () => {
    const p = createFakeProcessor();
    const pendingDownloads = createFakePendingDownloads();
    const record = { key: 'b/mug-0', status: 'stored' } as ImageRecord;
    // No state: it counts no call, yet the earlier run's answer left the image at a URL.
    await pendingDownloads.keep('b/mug/v0', 0, { url: 'https://files.example/0.png', expiresAtMs: 10_000_000, tries: 1, cause: 'HTTP 503', record });
    const result = await processImageJob({ ...p.deps, pendingDownloads }, fakeJob());
    expect(result).toMatchObject({ kind: 'completed', summary: { outcomes: { 'b/mug-0': 'stored' } } });
    expect(p.calls).toHaveLength(0);
    expect(pendingDownloads.kept.get('b/mug/v0')?.size).toBe(0);
  });

  it('a store that cannot be written holds the job back before any budget, slot or call', async () => {
    const p = createFakeProcessor();
    const storeGate: StoreGate = { ...createOpenStoreGate(p.store), admit: () => Promise.resolve({ kind: 'wait', code: 'store_paused', reason: 'store paused: disk full', retryInMs: 5_000 }) };
    expect(await processImageJob({ ...p.deps, storeGate }, fakeJob())).toEqual({ kind: 'delayed', untilMs: p.clockMs + 5_000, reason: 'store paused: disk full' });
    expect(p.calls).toHaveLength(0);
    expect(p.batches.reservations.size).toBe(0);
  });

  it('a paid image the store cannot take yet is spooled: no outcome yet, the job comes back to find it without a new call', async () => {
    const p = createFakeProcessor();
    const storeGate: StoreGate = { ...createOpenStoreGate(p.store), keepImage: () => Promise.resolve('spooled') };
    const result = await processImageJob({ ...p.deps, storeGate }, fakeJob());
    expect(result).toMatchObject({ kind: 'delayed', reason: expect.stringContaining('1 paid image(s) kept in the spool') as unknown });
    expect(p.batches.outcomes.has('b/mug-0')).toBe(false);
    expect(p.batches.settlements).toHaveLength(1);
  });
});
