import { fromMicroUsd, toMicroUsd } from '../cost/micro-usd.js';
import { utcDay } from './utc-day.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { toBatchField } from './batch-field.js';
import { checkBatchId } from '../job/image-request.js';
import { JOB_STATE_TTL_SECONDS } from '../queue/job-state.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';

/**
 * Reserves a call's expected cost against the batch's budget, or only checks that it would
 * fit. One script, so workers racing for the last of a budget are served one at a time:
 * together they overshoot only by what calls cost beyond what was expected of them. A job's
 * reservation replaces its earlier one (a job taken over after a crash reserves again).
 * Money in whole micro-USD. KEYS: batch hash, reservations hash. ARGV: job id, micro-USD,
 * 'reserve' or 'check'. Returns {fits 1/0, spent, reserved by others, max or -1}.
 */
const RESERVE_COST_SCRIPT = `
local max = redis.call('HGET', KEYS[1], 'maxCostMicros')
local spent = tonumber(redis.call('HGET', KEYS[1], 'spentMicros') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reservedMicros') or '0')
local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local others = reserved - own
local amount = tonumber(ARGV[2])
local reserve = ARGV[3] == 'reserve'
if max and spent + others + amount > tonumber(max) then
  if reserve and own ~= 0 then
    redis.call('HDEL', KEYS[2], ARGV[1])
    redis.call('HINCRBY', KEYS[1], 'reservedMicros', -own)
  end
  return {0, spent, others, tonumber(max)}
end
if reserve then
  redis.call('HSET', KEYS[2], ARGV[1], amount)
  redis.call('HINCRBY', KEYS[1], 'reservedMicros', amount - own)
end
return {1, spent, others, max and tonumber(max) or -1}
`;

/** Lua shared by the scripts below: drops the reservation of job ARGV[1] (KEYS[1] batch hash, KEYS[2] reservations). */
const DROP_RESERVATION = `
local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if own ~= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reservedMicros', -own)
end
`;

/**
 * Counts what one call cost and drops the job's reservation. Every call paid is added: an image
 * made again (deleted from the store, or generated but not kept) was paid again, and the
 * budget and the spend must say so. The call's marker makes the script safe to run twice for
 * one call (a command sent again after a reconnect): the second run counts nothing. The marker
 * is a field of the job's state hash, which goes when the job completes (a key per call, kept
 * for a day, was 120 bytes of Redis per image).
 * A call that may have been billed without our knowing (it timed out) is counted the same way,
 * and also under `possiblyBilledMicros`, so the spend can say how much of it is a guess.
 * KEYS: batch hash, reservations hash, per-image costs hash, spend over all batches, the job's
 * state hash, spend per client, spend per client today. ARGV: job id, the call's micro-USD,
 * 'billed' or 'possibly', call id, then (image key, micro-USD) pairs. A batch made by an API
 * client (header field `client`) adds the cost to the client's spend, in all and on today's UTC
 * day, which its daily cap is checked against.
 */
const SETTLE_COST_SCRIPT = `
${DROP_RESERVATION}if redis.call('HSETNX', KEYS[5], 'settled:' .. ARGV[4], 1) == 0 then return 0 end
if redis.call('TTL', KEYS[5]) < 0 then redis.call('EXPIRE', KEYS[5], ${JOB_STATE_TTL_SECONDS}) end
for i = 5, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
end
local total = tonumber(ARGV[2])
if total ~= 0 then
  redis.call('HINCRBY', KEYS[1], 'spentMicros', total)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', total)
  if ARGV[3] == 'possibly' then
    redis.call('HINCRBY', KEYS[1], 'possiblyBilledMicros', total)
    redis.call('HINCRBY', KEYS[4], 'possiblyBilledMicros', total)
  end
  local client = redis.call('HGET', KEYS[1], 'client')
  if client then
    redis.call('HINCRBY', KEYS[6], client, total)
    redis.call('HINCRBY', KEYS[7], client, total)
    redis.call('EXPIRE', KEYS[7], 604800)
  end
end
return total
`;

/**
 * Drops the reservations of jobs no worker holds: a worker reserves only while its job is
 * active, so a reservation of a job not in BullMQ's active list was left by a worker that died.
 * Checked and dropped in one script, so a job taken up meanwhile cannot lose a fresh
 * reservation. KEYS: batch hash, reservations hash, the image queue's active list.
 */
const RELEASE_IDLE_RESERVATIONS_SCRIPT = `
local released = 0
local held = redis.call('HGETALL', KEYS[2])
for i = 1, #held, 2 do
  if not redis.call('LPOS', KEYS[3], held[i]) then
    redis.call('HDEL', KEYS[2], held[i])
    redis.call('HINCRBY', KEYS[1], 'reservedMicros', -tonumber(held[i + 1]))
    released = released + 1
  end
end
return released
`;

/** Drops a job's reservation. KEYS: batch hash, reservations hash. ARGV: job id. */
const RELEASE_COST_SCRIPT = `
${DROP_RESERVATION}return own
`;

/** What one call cost: in all, and the share of each image it returned. */
export interface CallSettlement {
  /** Unique per call (not per job: a job may call again after its image went missing). */
  readonly callId: string;
  readonly usd: number;
  readonly images: ReadonlyArray<{ readonly imageKey: string; readonly usd: number }>;
  /**
   * True for a call that may have been billed without our knowing (it timed out after the
   * request was sent): `usd` is its expected cost, counted against the budget like a paid call.
   */
  readonly isPossiblyBilled?: boolean;
}

/** Where a call stands against its batch's budget. */
export interface BudgetVerdict {
  /** True when the batch has no budget, or spent + in flight + this call stays within it. */
  readonly isWithinBudget: boolean;
  readonly spentUsd: number;
  /** Expected cost of the batch's other calls in flight. */
  readonly inFlightUsd: number;
  readonly maxCostUsd: number | undefined;
}

function budgetVerdict(reply: readonly number[]): BudgetVerdict {
  const [fits = 1, spent = 0, others = 0, max = -1] = reply.map(Number);
  return { isWithinBudget: fits === 1, spentUsd: fromMicroUsd(spent), inFlightUsd: fromMicroUsd(others), maxCostUsd: max < 0 ? undefined : fromMicroUsd(max) };
}

function checkedMicroUsd(field: string, usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new ValidationError([{ field, reason: `${String(usd)} is not an amount in USD (a number, 0 or more)` }]);
  return toMicroUsd(usd);
}

/**
 * A batch's money in Redis: its budget (`--max-cost`), the expected cost of its calls in
 * flight (reservations), and what it has spent, call by call, in whole micro-USD.
 */
export interface BatchBudget {
  /** What every batch under this prefix has cost so far, USD. */
  totalCostUsd(): Promise<number>;
  /**
   * Sets the batch's budget in USD (`--max-cost`); undefined removes it. Workers read it before
   * every call. Throws ValidationError for a negative or non-finite amount.
   */
  setMaxCost(batchId: string, maxCostUsd: number | undefined): Promise<void>;
  /** Whether a call expected to cost `usd` fits the budget now; reserves nothing. */
  checkBudget(batchId: string, jobId: string, usd: number): Promise<BudgetVerdict>;
  /** Reserves `usd` for the job's call if it fits the budget (atomically); replaces the job's earlier reservation. */
  reserveCost(batchId: string, jobId: string, usd: number): Promise<BudgetVerdict>;
  /**
   * Adds what one call of the job cost to the batch's spend (and each image's share to the
   * image), and drops the job's reservation. `callId` is unique per call: settling the same
   * call again counts nothing.
   */
  settleCost(batchId: string, jobId: string, call: CallSettlement): Promise<void>;
  /** Drops the job's reservation without recording a cost (no call made, or none billed that we know of). */
  releaseCost(batchId: string, jobId: string): Promise<void>;
  /** Job ids holding a budget reservation. */
  costReservations(batchId: string): Promise<string[]>;
  /** Drops the reservations of the batch's jobs that no worker holds (left by a worker that died); returns how many. */
  releaseIdleReservations(batchId: string): Promise<number>;
  /** What was paid, USD, for each of these images that cost anything (every call that made it). */
  imageCosts(batchId: string, imageKeys: readonly string[]): Promise<Map<string, number>>;
}

interface BudgetCommands {
  imgbatchReserveCost(k1: string, k2: string, jobId: string, micros: number, mode: 'reserve' | 'check'): Promise<number[]>;
  imgbatchSettleCost(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, jobId: string, callMicros: number, kind: 'billed' | 'possibly', callId: string, ...pairs: (string | number)[]): Promise<number>;
  imgbatchReleaseCost(k1: string, k2: string, jobId: string): Promise<number>;
  imgbatchReleaseIdleReservations(k1: string, k2: string, k3: string): Promise<number>;
}

export function createBatchBudget(redis: RedisClient, keys: KeySpace): BatchBudget {
  redis.defineCommand('imgbatchReserveCost', { lua: RESERVE_COST_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchSettleCost', { lua: SETTLE_COST_SCRIPT, numberOfKeys: 7 });
  redis.defineCommand('imgbatchReleaseCost', { lua: RELEASE_COST_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchReleaseIdleReservations', { lua: RELEASE_IDLE_RESERVATIONS_SCRIPT, numberOfKeys: 3 });
  const commands = redis as unknown as BudgetCommands;

  return {
    async totalCostUsd() {
      return fromMicroUsd(Number((await redis.hget(keys.costTotal, 'spentMicros')) ?? 0));
    },

    async setMaxCost(batchId, maxCostUsd) {
      // Before the batch's first job, perhaps: a malformed id must not leave a stray key behind.
      checkBatchId(batchId);
      if (maxCostUsd === undefined) await redis.hdel(keys.batch(batchId), 'maxCostMicros');
      else await redis.hset(keys.batch(batchId), 'maxCostMicros', checkedMicroUsd('maxCostUsd', maxCostUsd));
    },

    async checkBudget(batchId, jobId, usd) {
      return budgetVerdict(await commands.imgbatchReserveCost(keys.batch(batchId), keys.batchCostReservations(batchId), jobId, checkedMicroUsd('usd', usd), 'check'));
    },

    async reserveCost(batchId, jobId, usd) {
      return budgetVerdict(await commands.imgbatchReserveCost(keys.batch(batchId), keys.batchCostReservations(batchId), jobId, checkedMicroUsd('usd', usd), 'reserve'));
    },

    async settleCost(batchId, jobId, call) {
      const pairs = call.images.flatMap(({ imageKey, usd }) => [toBatchField(batchId, imageKey), checkedMicroUsd('usd', usd)]);
      await commands.imgbatchSettleCost(
        keys.batch(batchId),
        keys.batchCostReservations(batchId),
        keys.batchCosts(batchId),
        keys.costTotal,
        keys.jobState(jobId),
        keys.clientSpend,
        // The day by this process's clock: a call settled at midnight counts on one side of it.
        keys.clientSpendOn(utcDay(Date.now())),
        jobId,
        checkedMicroUsd('usd', call.usd),
        call.isPossiblyBilled === true ? 'possibly' : 'billed',
        call.callId,
        ...pairs,
      );
    },

    async releaseCost(batchId, jobId) {
      await commands.imgbatchReleaseCost(keys.batch(batchId), keys.batchCostReservations(batchId), jobId);
    },

    async costReservations(batchId) {
      return redis.hkeys(keys.batchCostReservations(batchId));
    },

    async releaseIdleReservations(batchId) {
      return commands.imgbatchReleaseIdleReservations(keys.batch(batchId), keys.batchCostReservations(batchId), keys.imageQueueActive);
    },

    async imageCosts(batchId, imageKeys) {
      const costs = new Map<string, number>();
      // In pages: the keys of a whole batch would make one huge command.
      for (let i = 0; i < imageKeys.length; i += 1000) {
        const page = imageKeys.slice(i, i + 1000);
        const values = await redis.hmget(keys.batchCosts(batchId), ...page.map((key) => toBatchField(batchId, key)));
        page.forEach((key, index) => {
          const value = values[index];
          if (value !== null && value !== undefined) costs.set(key, fromMicroUsd(Number(value)));
        });
      }
      return costs;
    },
  };
}
