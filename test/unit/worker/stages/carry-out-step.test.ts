import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/log/logger.js';
import { carryOutStep } from '../../../../src/worker/stages/carry-out-step.js';
import { createJobContext } from '../../../../src/worker/stages/job-context.js';
import { createFakeBatches, createFakeJobState, createFakeSlots, fakeJob } from '../../../helpers/processor-fakes.js';

function fakes() {
  const batches = createFakeBatches();
  const jobState = createFakeJobState();
  const limiter = createFakeSlots();
  const deps = { batches, jobState, limiter, logger: createLogger({ level: 'silent' }), now: () => 10_000, sleep: () => Promise.resolve(), wakeEarlyMs: 500 };
  const { id, data } = fakeJob();
  return { batches, jobState, limiter, deps, ctx: createJobContext(id, data), jobId: id };
}

describe('carryOutStep: what the retry policy decided, done', () => {
  it('a retry puts the job back after the delay and keeps the counter and last error in the job state', async () => {
    const { deps, ctx, jobState, jobId } = fakes();
    const result = await carryOutStep(deps, ctx, { kind: 'retry', afterMs: 2_000, reason: 'timed out', count: 'timeout', lastError: 'timed out' }, [0]);
    expect(result).toEqual({ kind: 'delayed', untilMs: 12_000, reason: 'timed out' });
    expect(await jobState.read(jobId)).toMatchObject({ timeouts: 1, lastError: 'timed out' });
  });

  it('a fail records each image with the outcome, reason code and message', async () => {
    const { deps, ctx, batches } = fakes();
    const result = await carryOutStep(deps, ctx, { kind: 'fail', outcome: 'failed', reason: 'attempts_exhausted', message: 'failed after 3 attempts' }, [0]);
    expect(result).toEqual({ kind: 'failed', message: 'failed after 3 attempts' });
    expect(batches.outcomes.get('b/mug-0')).toEqual({ outcome: 'failed', reason: 'attempts_exhausted', error: 'failed after 3 attempts' });
  });

  it('a cooldown cools the deployment down and counts a 429 wait, without spending an attempt', async () => {
    const { deps, ctx, limiter, jobState, jobId } = fakes();
    const result = await carryOutStep(deps, ctx, { kind: 'cool_down', waitMs: 3_000, count: 'rate_limited' }, [0], 'east');
    expect(result).toMatchObject({ kind: 'delayed', untilMs: 13_000 });
    expect(limiter.cooldowns).toEqual([{ deployment: 'east', waitMs: 3_000 }]);
    expect(await jobState.read(jobId)).toMatchObject({ rateLimitWaits: 1, freeCalls: 1 });
  });

  it('a pause pauses the deployment with the reason; the job waits for another', async () => {
    const { deps, ctx, limiter } = fakes();
    const result = await carryOutStep(deps, ctx, { kind: 'pause_deployment', reason: 'auth (HTTP 401): bad key', afterMs: 1_000, count: 'paused' }, [0], 'east');
    expect(result).toEqual({ kind: 'delayed', untilMs: 11_000, reason: 'deployment east paused' });
    expect(limiter.paused.get('east')).toBe('auth (HTTP 401): bad key');
  });
});
