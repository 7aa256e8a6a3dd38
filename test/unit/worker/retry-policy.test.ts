import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/errors/decision.js';
import type { JobCounters } from '../../../src/queue/job-state.js';
import { bookkeepingDelayMs, MAX_BOOKKEEPING_TRIES, nextStep, type NextStep, type RetrySettings, type Setback } from '../../../src/worker/retry-policy.js';

const SETTINGS: RetrySettings = {
  attempts: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 8_000,
  maxRateLimitWaits: 2,
  pauseRecheckMs: 30_000,
  timeoutRetries: 1,
  maxWaitMs: 60 * 60_000,
};
/** The top of every backoff's jitter range: delays read as their ceilings. */
const HIGHEST = (): number => 1 - Number.EPSILON;

function counters(fields: Partial<JobCounters> = {}): JobCounters {
  return { calls: 1, freeCalls: 0, rateLimitWaits: 0, timeouts: 0, lastError: undefined, ...fields };
}

function afterCall(decision: Decision): Setback {
  return { kind: 'call', decision, timeout: { ms: 120_000, setting: 'models.gpt-image-1.timeoutMs' }, expectedUsd: '$0.0420' };
}

const TIMEOUT: Decision = { kind: 'transient', code: 'timeout', message: 'Request timed out.', mayHaveBilled: true };
const RESET: Decision = { kind: 'transient', code: 'ECONNRESET', message: 'Connection error.', mayHaveBilled: true };
const SERVER_ERROR: Decision = { kind: 'transient', code: 'server_error', message: 'The server had an error', mayHaveBilled: true, status: 500 };
const TOO_LARGE: Decision = { kind: 'too_large', message: 'the response body is over the limit of 1000 bytes (4096 bytes seen); not read further', status: 200 };
const RATE_LIMITED: Decision = { kind: 'rate_limited', retryAfterMs: 7_000, message: 'Too many requests' };
const RATE_LIMITED_NO_WAIT: Decision = { kind: 'rate_limited', retryAfterMs: null, message: 'Too many requests' };

describe('nextStep: the one owner of an image job\'s retries', () => {
  const table: ReadonlyArray<[string, Setback, JobCounters, Partial<NextStep> & { kind: NextStep['kind'] }]> = [
    // Before a call
    ['a job within maxWaitMs goes on', { kind: 'queued', waitedMs: 59 * 60_000 }, counters(), { kind: 'proceed' }],
    ['a job past maxWaitMs fails with the last error', { kind: 'queued', waitedMs: 61 * 60_000 }, counters({ lastError: '503 x' }), { kind: 'fail', outcome: 'failed', reason: 'waited_too_long', message: 'waited 61 min without finishing, over the 60 min allowed; last error: 503 x' }],
    ['an unreadable store is asked again after the first backoff, no call', { kind: 'store_unreadable', message: 'EIO' }, counters(), { kind: 'retry', afterMs: 1_000, reason: 'store unreadable: EIO' }],
    ['an edit input not readable now is read again after the first backoff', { kind: 'input_unavailable', message: 'ECONNREFUSED' }, counters(), { kind: 'retry', afterMs: 1_000 }],
    ['no deployment here: left for another worker, looked at again later', { kind: 'no_deployment_here', wanted: 'model x' }, counters(), { kind: 'retry', afterMs: 30_000 }],
    ['every deployment paused: waits for one', { kind: 'deployments_paused', why: 'a: auth' }, counters(), { kind: 'retry', afterMs: 30_000, reason: 'a: auth' }],
    ['a deployment cooling down: waits out the cooldown', { kind: 'cooling_down', deployment: 'a', remainingMs: 1_234 }, counters(), { kind: 'retry', afterMs: 1_234 }],
    ['a missed slot takes the next one', { kind: 'slots_missed', missed: 3 }, counters(), { kind: 'proceed' }],
    ['a call of the job in flight elsewhere: waits for its deadline', { kind: 'call_in_flight', leftMs: 5_000 }, counters(), { kind: 'retry', afterMs: 5_000 }],
    ['four missed slots in a row put the job back at once', { kind: 'slots_missed', missed: 4 }, counters(), { kind: 'retry', afterMs: 0, reason: 'missed 4 slots in a row (process too busy)' }],
    // After a call
    ['a filtered call is kept as filtered, never called again', afterCall({ kind: 'filtered', filter: { stage: 'prompt', categories: ['violence'], code: 'content_filter', message: 'no' } }), counters(), { kind: 'keep_filtered' }],
    ['a rejected request fails as rejected, never called again', afterCall({ kind: 'rejected', code: 'invalid_size', message: 'bad size', status: 400 }), counters(), { kind: 'fail', outcome: 'rejected', reason: 'service_rejected' }],
    ['a 429 cools the deployment down for the service\'s wait, no attempt spent', afterCall(RATE_LIMITED), counters({ rateLimitWaits: 1 }), { kind: 'cool_down', waitMs: 7_000, count: 'rate_limited' }],
    ['a 429 without a wait backs off from 1 s', afterCall(RATE_LIMITED_NO_WAIT), counters({ rateLimitWaits: 1 }), { kind: 'cool_down', waitMs: 2_000, count: 'rate_limited' }],
    ['a 429 beyond maxRateLimitWaits fails', afterCall(RATE_LIMITED), counters({ rateLimitWaits: 2 }), { kind: 'fail', outcome: 'failed', reason: 'rate_limited_too_often', count: 'rate_limited' }],
    ['a 500 on attempt 1 of 3 is retried after the first backoff', afterCall(SERVER_ERROR), counters({ calls: 1 }), { kind: 'retry', afterMs: 1_000, lastError: 'server_error: The server had an error' }],
    ['a 500 on attempt 2 of 3 backs off twice as long', afterCall(SERVER_ERROR), counters({ calls: 2 }), { kind: 'retry', afterMs: 2_000 }],
    ['a reset counts as an attempt like a 500', afterCall(RESET), counters({ calls: 2 }), { kind: 'retry', afterMs: 2_000 }],
    ['429s do not spend attempts: 4 calls with 2 free are attempt 2', afterCall(SERVER_ERROR), counters({ calls: 4, freeCalls: 2 }), { kind: 'retry', afterMs: 2_000 }],
    ['a 500 on the last attempt fails with the last error', afterCall(SERVER_ERROR), counters({ calls: 3 }), { kind: 'fail', outcome: 'failed', reason: 'attempts_exhausted', message: 'failed after 3 attempts; last error: server_error: The server had an error' }],
    ['a first timeout is retried, counted as a timeout', afterCall(TIMEOUT), counters({ calls: 1 }), { kind: 'retry', afterMs: 1_000, count: 'timeout' }],
    ['a timeout beyond timeoutRetries fails, naming the setting to raise', afterCall(TIMEOUT), counters({ calls: 2, timeouts: 1 }), { kind: 'fail', outcome: 'failed', reason: 'timeouts_exhausted', count: 'timeout' }],
    ['an answer over the size cap fails at once as response_too_large, possibly billed, never called again', afterCall(TOO_LARGE), counters({ calls: 1 }), { kind: 'fail', outcome: 'failed', reason: 'response_too_large', message: 'an answer too large to read (the response body is over the limit of 1000 bytes (4096 bytes seen); not read further); it may have been billed ($0.0420 counted against the budget) and is not retried' }],
    ['a deployment that answers 401 is paused and the job waits for another', afterCall({ kind: 'pause_deployment', reason: 'auth', status: 401, message: 'bad key' }), counters(), { kind: 'pause_deployment', reason: 'auth (HTTP 401): bad key', count: 'paused' }],
  ];

  it.each(table)('%s', (_, setback, jobCounters, expected) => {
    expect(nextStep(setback, jobCounters, SETTINGS, HIGHEST)).toMatchObject(expected);
  });

  it('a timed-out call says it may have been billed and what was counted', () => {
    const step = nextStep(afterCall(TIMEOUT), counters({ calls: 2, timeouts: 1 }), SETTINGS, HIGHEST);
    expect(step.kind === 'fail' && step.message).toBe(
      'the call timed out after 120 s (models.gpt-image-1.timeoutMs) and may have been billed: $0.0420 counted against the budget; ' +
        '2 calls timed out and worker.timeoutRetries (1) allows retrying once: raise models.gpt-image-1.timeoutMs if this model\'s calls take longer',
    );
  });
});

describe('bookkeepingDelayMs: Redis bookkeeping after a call', () => {
  it.each([
    [1, 100],
    [2, 200],
    [5, 1_600],
    [7, 5_000],
    [MAX_BOOKKEEPING_TRIES - 1, 5_000],
  ])('after %i failures waits at most %i ms', (failures, ceilingMs) => {
    expect(bookkeepingDelayMs(failures, HIGHEST)).toBe(ceilingMs);
  });

  it(`gives up after ${MAX_BOOKKEEPING_TRIES} failures, well within a job's lock`, () => {
    expect(bookkeepingDelayMs(MAX_BOOKKEEPING_TRIES, HIGHEST)).toBeUndefined();
    let totalMs = 0;
    for (let failures = 1; failures < MAX_BOOKKEEPING_TRIES; failures++) totalMs += bookkeepingDelayMs(failures, HIGHEST) ?? 0;
    expect(totalMs).toBeLessThan(30_000);
  });
});
