import type { OutcomeReason } from '../batch/image-outcome.js';
import type { WorkerSettings } from '../config/config.js';
import type { Decision } from '../errors/decision.js';
import { isCallTimeout } from '../errors/is-call-timeout.js';
import type { JobCounters } from '../queue/job-state.js';
import { backoffMs } from './backoff.js';
import type { CallTimeout } from './call-timeout.js';

/**
 * What kept a job from finishing this time. `call`: a call came back with this decision (the
 * counters are the ones counted for it, before this answer). The others happen before a call.
 */
export type Setback =
  | { readonly kind: 'call'; readonly decision: Decision; readonly timeout: CallTimeout; readonly expectedUsd: string }
  | { readonly kind: 'queued'; readonly waitedMs: number }
  | { readonly kind: 'store_unreadable'; readonly message: string }
  | { readonly kind: 'input_unavailable'; readonly message: string }
  | { readonly kind: 'no_deployment_here'; readonly wanted: string }
  | { readonly kind: 'deployments_paused'; readonly why: string }
  | { readonly kind: 'cooling_down'; readonly deployment: string; readonly remainingMs: number }
  | { readonly kind: 'slots_missed'; readonly missed: number }
  /** Another call of this job is open (a second run of it, or a worker that lost it) for `leftMs` more, by Redis's clock. */
  | { readonly kind: 'call_in_flight'; readonly leftMs: number };

/** Which counter of the job's state the answer bumps (kept in Redis: they outlive a worker). */
export type CounterBump = 'rate_limited' | 'paused' | 'timeout';

export type NextStep =
  /** Nothing stops the job: go on. */
  | { readonly kind: 'proceed' }
  /** Put the job back for `afterMs`; it comes back and tries again. */
  | {
      readonly kind: 'retry';
      readonly afterMs: number;
      readonly reason: string;
      readonly count?: CounterBump;
      readonly lastError?: string;
      /** The wake-up is put down to a multiple of this (ms), never before now: jobs put back together come back together. */
      readonly wakeGridMs?: number;
    }
  /** 429: the deployment cools down `waitMs`; the job comes back for its first slot after. */
  | { readonly kind: 'cool_down'; readonly waitMs: number; readonly count: CounterBump }
  /** Every call to the deployment would fail the same way: pause it; the job waits for another. */
  | { readonly kind: 'pause_deployment'; readonly reason: string; readonly afterMs: number; readonly count: CounterBump }
  /** The output or prompt filter refused: recorded as `filtered`, never called again. */
  | { readonly kind: 'keep_filtered' }
  /** Terminal: the job's pending images end with this outcome and reason. */
  | {
      readonly kind: 'fail';
      readonly outcome: 'failed' | 'rejected';
      readonly reason: OutcomeReason;
      readonly message: string;
      readonly count?: CounterBump;
      readonly lastError?: string;
    };

export type RetrySettings = Pick<
  WorkerSettings,
  'attempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'maxRateLimitWaits' | 'pauseRecheckMs' | 'timeoutRetries' | 'maxWaitMs'
>;

/** A job that missed this many slots in a row (its process too busy to call on time) goes back to the queue. */
const MAX_MISSED_SLOTS = 4;

/**
 * The one owner of every retry of an image job: whether, when and how often it tries again,
 * and when it gives up with which reason. Pure: the stages carry out what it says (delays,
 * cooldowns, pauses, outcomes). BullMQ never retries (the queue's `attempts` is 1), the SDK
 * never retries (`maxRetries: 0`), and storage I/O is retried inside the store, never by a new
 * call. 429 waits do not spend attempts but are bounded by `maxRateLimitWaits`; timed-out calls
 * (perhaps billed) are retried only `timeoutRetries` times.
 */
export function nextStep(setback: Setback, counters: JobCounters, settings: RetrySettings, random: () => number = Math.random): NextStep {
  const backoff = (attempt: number): number => backoffMs(attempt, settings.backoffBaseMs, settings.backoffMaxMs, random);
  switch (setback.kind) {
    case 'queued': {
      if (setback.waitedMs <= settings.maxWaitMs) return { kind: 'proceed' };
      const last = counters.lastError === undefined ? '' : `; last error: ${counters.lastError}`;
      const message = `waited ${Math.round(setback.waitedMs / 60_000)} min without finishing, over the ${Math.round(settings.maxWaitMs / 60_000)} min allowed${last}`;
      return { kind: 'fail', outcome: 'failed', reason: 'waited_too_long', message };
    }
    case 'store_unreadable':
      // Nothing was called yet: the store is asked again later.
      return { kind: 'retry', afterMs: backoff(1), reason: `store unreadable: ${setback.message}` };
    case 'input_unavailable':
      return { kind: 'retry', afterMs: backoff(1), reason: `input not readable now: ${setback.message}` };
    case 'no_deployment_here':
      // Another worker (another machine, a newer config) may serve it: not this one's to reject.
      return { kind: 'retry', afterMs: settings.pauseRecheckMs, reason: `no deployment here serves ${setback.wanted}` };
    case 'deployments_paused':
      return { kind: 'retry', afterMs: settings.pauseRecheckMs, reason: setback.why };
    case 'cooling_down':
      return { kind: 'retry', afterMs: setback.remainingMs, reason: `deployment ${setback.deployment} cooling down after a 429` };
    case 'slots_missed':
      if (setback.missed < MAX_MISSED_SLOTS) return { kind: 'proceed' };
      return { kind: 'retry', afterMs: 0, reason: `missed ${setback.missed} slots in a row (process too busy)` };
    case 'call_in_flight':
      // A living worker keeps what its call brings: nobody calls before that call's own timeout
      // has ended it; then the store is read again (at 0 ms left, the call is settled as
      // possibly billed first).
      return { kind: 'retry', afterMs: setback.leftMs, reason: `a call of this job may be in flight for ${setback.leftMs} ms more` };
    case 'call':
      return afterCall(setback, counters, settings, random);
  }
}

function afterCall(setback: Extract<Setback, { kind: 'call' }>, counters: JobCounters, settings: RetrySettings, random: () => number): NextStep {
  const backoff = (attempt: number): number => backoffMs(attempt, settings.backoffBaseMs, settings.backoffMaxMs, random);
  const { decision } = setback;
  const attempts = counters.calls - counters.freeCalls;
  switch (decision.kind) {
    case 'filtered':
      return { kind: 'keep_filtered' };
    case 'rejected':
      return { kind: 'fail', outcome: 'rejected', reason: 'service_rejected', message: `request rejected by the service (${decision.code}): ${decision.message}` };
    case 'too_large': {
      // Final at the first: each retry may be billed, and would most likely be too large again.
      const message = `an answer too large to read (${decision.message}); it may have been billed (${setback.expectedUsd} counted against the budget) and is not retried`;
      return { kind: 'fail', outcome: 'failed', reason: 'response_too_large', message, lastError: decision.message };
    }
    case 'rate_limited': {
      const waits = counters.rateLimitWaits + 1;
      if (waits > settings.maxRateLimitWaits) {
        const message = `rate limited ${waits} times, more than the ${settings.maxRateLimitWaits} allowed; last: ${decision.message}`;
        return { kind: 'fail', outcome: 'failed', reason: 'rate_limited_too_often', message, count: 'rate_limited' };
      }
      // Without the service's own wait, a 429 backs off from 1 s, doubling per wait.
      return { kind: 'cool_down', waitMs: decision.retryAfterMs ?? backoffMs(waits, 1_000, settings.backoffMaxMs, random), count: 'rate_limited' };
    }
    case 'transient': {
      if (isCallTimeout(decision)) {
        const timeouts = counters.timeouts + 1;
        const { timeout } = setback;
        const lastError =
          `the call timed out after ${Math.round(timeout.ms / 1000)} s (${timeout.setting}) and may have been billed: ` + `${setback.expectedUsd} counted against the budget`;
        if (timeouts > settings.timeoutRetries) {
          const retried = settings.timeoutRetries === 1 ? 'once' : `${settings.timeoutRetries} times`;
          const message = `${lastError}; ${timeouts} calls timed out and worker.timeoutRetries (${settings.timeoutRetries}) allows retrying ${retried}: raise ${timeout.setting} if this model's calls take longer`;
          return { kind: 'fail', outcome: 'failed', reason: 'timeouts_exhausted', message, count: 'timeout', lastError };
        }
        return { kind: 'retry', afterMs: backoff(attempts), reason: `${lastError}; retry ${timeouts} of ${settings.timeoutRetries}`, count: 'timeout', lastError };
      }
      const lastError = `${decision.code}: ${decision.message}`;
      if (attempts >= settings.attempts) {
        return { kind: 'fail', outcome: 'failed', reason: 'attempts_exhausted', message: `failed after ${attempts} attempts; last error: ${lastError}`, lastError };
      }
      return { kind: 'retry', afterMs: backoff(attempts), reason: `transient error (${lastError}), attempt ${attempts} of ${settings.attempts}`, lastError };
    }
    case 'pause_deployment': {
      const reason = `${decision.reason}${decision.status === undefined ? '' : ` (HTTP ${decision.status})`}: ${decision.message}`;
      return { kind: 'pause_deployment', reason, afterMs: 1_000, count: 'paused' };
    }
  }
}

/** Bookkeeping in Redis after a call (settling the cost, recording outcomes) is retried this often before the job gives up. */
export const MAX_BOOKKEEPING_TRIES = 10;

/**
 * How long to wait before trying Redis bookkeeping again after `failures` failures in a row
 * (READONLY after a failover, OOM under noeviction, a connection lost), or undefined to give up.
 * From 100 ms doubling to 5 s: about 25 s in all, less than a job's lock, so the job is still
 * ours when Redis answers again. The image is already kept by then: giving up loses no image;
 * the next worker to take the job finds it in the store.
 */
export function bookkeepingDelayMs(failures: number, random: () => number = Math.random): number | undefined {
  if (failures >= MAX_BOOKKEEPING_TRIES) return undefined;
  return backoffMs(failures, 100, 5_000, random);
}
