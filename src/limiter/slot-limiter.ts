import type { RedisClient } from '../queue/redis-connection.js';
import type { LimiterSettings } from '../config/config.js';
import type { KeySpace } from '../queue/key-space.js';
import { randomBytes } from 'node:crypto';
import { ACQUIRE_SLOT_SCRIPT, CHECK_CALLABLE_SCRIPT, COOLDOWN_SCRIPT, RECENT_CALLS_SCRIPT, RECORD_CALL_SCRIPT } from './acquire-slot-script.js';

export interface SlotCandidate {
  /** Deployment name (limiter key). */
  readonly name: string;
  readonly ratePerMinute: number;
  /** Quota units this call spends (1 per request, or images per call). Default 1. */
  readonly cost?: number;
  /** Calls that may start back to back; default 1, i.e. evenly spaced. */
  readonly burst?: number;
  /** Priority tier, 1 is best; default 1. */
  readonly priority?: number;
}

export type SlotDecision =
  /**
   * Start the call on `deployment` after `waitMs` (at most maxSleepMs). Negative when a held
   * slot is claimed late: the slot was `-waitMs` ago.
   */
  | { readonly kind: 'go'; readonly deployment: string; readonly waitMs: number }
  /** A slot `waitMs` away is held for this job: put the job back as delayed until then. */
  | { readonly kind: 'reserved'; readonly deployment: string; readonly waitMs: number }
  /** Every candidate is paused. */
  | { readonly kind: 'paused'; readonly reasons: ReadonlyArray<{ readonly deployment: string; readonly reason: string }> };

export type CallableState =
  | { readonly kind: 'callable' }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'cooling_down'; readonly remainingMs: number };

export interface DeploymentLimiterState {
  readonly deployment: string;
  readonly pausedReason: string | undefined;
  readonly cooldownUntil: number | undefined;
  /** 429s since the state was created. */
  readonly rateLimitedCount: number;
  readonly lastGrantAt: number | undefined;
  /** Share of the configured rate in force (1 unless repeated 429s cut it). */
  readonly rateFactor: number;
  /** Calls that came back in the last minute, and how many of them were 429s. */
  readonly callsLastMinute: number;
  readonly rateLimitedLastMinute: number;
}

/** How a call came back, for the call log: `ok`, a 429, or anything else. */
export type CallResult = 'ok' | 'error';

export interface SlotLimiter {
  /** Takes (or claims a held) call slot for a job among the candidate deployments. */
  acquire(jobId: string, candidates: readonly SlotCandidate[]): Promise<SlotDecision>;
  /** Whether the deployment may be called now (not paused, not cooling down), by Redis time. */
  checkCallable(deployment: string): Promise<CallableState>;
  /**
   * After a 429: no call to this deployment for `waitMs`; a repeated 429 also cuts its rate.
   * Returns the cooldown end (Redis time) and the rate factor now in force.
   */
  cooldown(deployment: string, waitMs: number): Promise<{ cooldownUntil: number; rateFactor: number }>;
  /** Logs a call that came back (not 429); a success wins back part of any rate cut. */
  recordCall(deployment: string, result: CallResult): Promise<void>;
  /** Stops every worker calling this deployment until `resume`. */
  pause(deployment: string, reason: string): Promise<void>;
  resume(deployment: string): Promise<void>;
  state(deployment: string): Promise<DeploymentLimiterState>;
}

function uniqueId(): string {
  return randomBytes(6).toString('hex');
}

interface LimiterCommands {
  imgbatchAcquireSlot(numKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
  imgbatchCooldown(stateKey: string, callsKey: string, waitMs: number, decrease: number, minFactor: number, id: string): Promise<[number, string]>;
  imgbatchRecordCall(stateKey: string, callsKey: string, result: string, step: number, id: string): Promise<number>;
  imgbatchRecentCalls(callsKey: string): Promise<string[]>;
  imgbatchCheckCallable(key: string): Promise<[string, number]>;
}

/**
 * The token bucket shared by every worker process through Redis. Capacity 1 by default:
 * Azure enforces per-minute quotas over 1–10 s windows, so a minute's worth sent as a burst
 * is throttled even when the minute's total is within quota.
 */
export function createSlotLimiter(redis: RedisClient, keys: KeySpace, settings: LimiterSettings): SlotLimiter {
  redis.defineCommand('imgbatchAcquireSlot', { lua: ACQUIRE_SLOT_SCRIPT });
  redis.defineCommand('imgbatchCooldown', { lua: COOLDOWN_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchRecordCall', { lua: RECORD_CALL_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchRecentCalls', { lua: RECENT_CALLS_SCRIPT, numberOfKeys: 1 });
  redis.defineCommand('imgbatchCheckCallable', { lua: CHECK_CALLABLE_SCRIPT, numberOfKeys: 1 });
  const commands = redis as unknown as LimiterCommands;

  return {
    async acquire(jobId, candidates) {
      if (candidates.length === 0) throw new Error('acquire needs at least one candidate deployment');
      const keyList = [keys.limiterReservations, ...candidates.map((c) => keys.limiterDeployment(c.name))];
      const args: (string | number)[] = [jobId, settings.maxSleepMs, settings.lateToleranceMs];
      for (const candidate of candidates) {
        const intervalMs = (60_000 / candidate.ratePerMinute) * (1 + settings.headroom) * (candidate.cost ?? 1);
        const burstMs = (Math.max(1, candidate.burst ?? 1) - 1) * intervalMs;
        args.push(candidate.name, intervalMs.toFixed(3), burstMs.toFixed(3), candidate.priority ?? 1);
      }
      const reply = await commands.imgbatchAcquireSlot(keyList.length, ...keyList, ...args);
      const [kind, ...rest] = reply;
      if (kind === 'paused') {
        const reasons: { deployment: string; reason: string }[] = [];
        for (let i = 0; i + 1 < rest.length; i += 2) reasons.push({ deployment: String(rest[i]), reason: String(rest[i + 1]) });
        return { kind: 'paused', reasons };
      }
      const deployment = String(rest[0]);
      const waitMs = Number(rest[1]);
      return kind === 'go' ? { kind: 'go', deployment, waitMs } : { kind: 'reserved', deployment, waitMs };
    },

    async checkCallable(deployment) {
      const [pausedReason, remainingMs] = await commands.imgbatchCheckCallable(keys.limiterDeployment(deployment));
      if (pausedReason !== '') return { kind: 'paused', reason: pausedReason };
      return remainingMs > 0 ? { kind: 'cooling_down', remainingMs } : { kind: 'callable' };
    },

    async cooldown(deployment, waitMs) {
      const [cooldownUntil, rateFactor] = await commands.imgbatchCooldown(
        keys.limiterDeployment(deployment),
        keys.limiterCalls(deployment),
        Math.max(0, Math.ceil(waitMs)),
        settings.decreaseFactor,
        settings.minRateFactor,
        uniqueId(),
      );
      return { cooldownUntil, rateFactor: Number(rateFactor) };
    },

    async recordCall(deployment, result) {
      await commands.imgbatchRecordCall(keys.limiterDeployment(deployment), keys.limiterCalls(deployment), result, settings.recoverStep, uniqueId());
    },

    async pause(deployment, reason) {
      await redis.hset(keys.limiterDeployment(deployment), 'paused', reason, 'pausedAt', Date.now());
    },

    async resume(deployment) {
      // A 429 cooldown stays: it is the service's own word on when to call again.
      await redis.hdel(keys.limiterDeployment(deployment), 'paused', 'pausedAt');
    },

    async state(deployment) {
      const [hash, recent] = await Promise.all([redis.hgetall(keys.limiterDeployment(deployment)), commands.imgbatchRecentCalls(keys.limiterCalls(deployment))]);
      const numberOrUndefined = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
      return {
        deployment,
        pausedReason: hash.paused,
        cooldownUntil: numberOrUndefined(hash.cooldownUntil),
        rateLimitedCount: Number(hash.rateLimited ?? 0),
        lastGrantAt: numberOrUndefined(hash.lastGrantAt),
        rateFactor: Number(hash.rateFactor ?? 1),
        callsLastMinute: recent.length,
        rateLimitedLastMinute: recent.filter((member) => member.split(':')[1] === '429').length,
      };
    },
  };
}
