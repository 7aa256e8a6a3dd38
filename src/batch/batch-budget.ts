import { fromMicroUsd, toMicroUsd } from '../cost/micro-usd.js';
import { utcDay } from './utc-day.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { toBatchField } from './batch-field.js';
import { batchJobIds } from './batch-job-ids.js';
import { checkBatchId } from '../job/image-request.js';
import { JOB_STATE_TTL_SECONDS } from '../queue/job-state.js';
import { defineLuaCommands, luaCommand } from '../lua/lua-command.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';

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

/** A call about to be sent, as SpendBook.openCall opens it. */
export interface CallToOpen {
  /** Unique per call: its settlement and its closing name it. */
  readonly callId: string;
  /** Expected cost, USD: reserved against the budget, and what the call counts as if nobody settles it. */
  readonly usd: number;
  /** Each image's share of the expected cost. */
  readonly images: ReadonlyArray<{ readonly imageKey: string; readonly usd: number }>;
  /** How long the call stays open: until now (by Redis's clock) plus this (its timeout and a grace, count-call.ts). */
  readonly timeoutMs: number;
  /**
   * The deployment it goes to: the call is not opened while it is paused or cooling down (another
   * worker was told 401/403/404 or 429 since the slot was taken), in the same round trip.
   * Unchecked when left out.
   */
  readonly deployment?: string;
  /**
   * The token of the BullMQ lock the run holds the job by: the call is not opened unless the
   * job's lock is still this token. Unchecked when left out (a run outside a BullMQ worker).
   */
  readonly lockToken?: string | undefined;
}

/** What opening a call answered. */
export type CallOpening =
  /**
   * Budget reserved, call counted (job and batch) and open until `untilMs` (Redis's clock);
   * `calls`: the job's calls counted, this one included (its other counters are as its run read them).
   */
  | { readonly kind: 'opened'; readonly calls: number; readonly untilMs: number }
  /** Another call of the job is open (a second run of the job, or one left by a stopped worker): nothing done. */
  | { readonly kind: 'in_flight'; readonly leftMs: number }
  /** The call would take the batch past its budget: nothing counted, the job's reservation dropped. */
  | { readonly kind: 'over_budget'; readonly verdict: BudgetVerdict }
  /** The deployment is paused (`reason`): nothing done. */
  | { readonly kind: 'paused'; readonly reason: string }
  /** The deployment cools down for `remainingMs` more (Redis's clock): nothing done. */
  | { readonly kind: 'cooling_down'; readonly remainingMs: number }
  /** The job's lock is not the run's (another run took the job over, or it expired): nothing done. */
  | { readonly kind: 'lost_lock' };

/** A batch's budget and spend as read at one moment (its job's start), USD. */
export interface BudgetSnapshot {
  readonly maxCostUsd: number | undefined;
  readonly spentUsd: number;
  /** Expected cost of the calls in flight (reserved). */
  readonly reservedUsd: number;
}

/**
 * Whether a call expected to cost `usd` fits the budget as `snapshot` saw it: the check before
 * a slot is taken, with no round trip of its own. SpendBook.openCall checks again, atomically,
 * before the call; everything reserved counts as others' (a job starts holding none).
 */
export function budgetVerdictOf(snapshot: BudgetSnapshot, usd: number): BudgetVerdict {
  const { maxCostUsd, spentUsd, reservedUsd } = snapshot;
  const isWithinBudget = maxCostUsd === undefined || toMicroUsd(spentUsd) + toMicroUsd(reservedUsd) + toMicroUsd(usd) <= toMicroUsd(maxCostUsd);
  return { isWithinBudget, spentUsd, inFlightUsd: reservedUsd, maxCostUsd };
}

/** A BudgetSnapshot from the HMGET of maxCostMicros, spentMicros, reservedMicros. */
export function budgetSnapshotOf(fields: ReadonlyArray<string | null | false | undefined>): BudgetSnapshot {
  const [max, spent, reserved] = fields;
  const micros = (value: string | null | false | undefined): number | undefined => (typeof value === 'string' ? Number(value) : undefined);
  const maxMicros = micros(max);
  return { maxCostUsd: maxMicros === undefined ? undefined : fromMicroUsd(maxMicros), spentUsd: fromMicroUsd(micros(spent) ?? 0), reservedUsd: fromMicroUsd(Math.max(0, micros(reserved) ?? 0)) };
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
   * Right before a call is sent, in one atomic step (src/batch/lua/open-call.lua): unless another
   * call of the job is open, reserves its expected cost, counts it (job and batch) and opens it
   * until its deadline. Two runs of one job racing here open one call between them.
   */
  openCall(batchId: string, jobId: string, call: CallToOpen): Promise<CallOpening>;
  /**
   * Keeps the job's open call `callId` open for at least `ms` more (src/batch/lua/hold-open-call.lua),
   * while its images are being kept; false when it is no longer the job's open call.
   */
  holdCallOpen(jobId: string, callId: string, ms: number): Promise<boolean>;
  /**
   * Adds what one call of the job cost to the batch's spend (and each image's share to the
   * image), drops the job's reservation and closes the call if it is the job's open call.
   * `callId` is unique per call: settling the same call again counts nothing.
   */
  settleCost(batchId: string, jobId: string, call: CallSettlement): Promise<void>;
  /**
   * Takes back the job's call `callId`, opened but never sent (its slot was missed), if it is
   * still the job's open call (src/batch/lua/take-back-call.lua): its count and reservation
   * given back, the call closed. False when it was not (another run opened one since).
   */
  takeBackCall(batchId: string, jobId: string, callId: string): Promise<boolean>;
  /** Drops the job's reservation without recording a cost (no call made, or none billed that we know of). */
  releaseCost(batchId: string, jobId: string): Promise<void>;
  /** Job ids holding a budget reservation: with their open call, or in the batch's hash (reserveCost). */
  costReservations(batchId: string): Promise<string[]>;
  /** Drops the reservations of the batch's jobs that no worker holds (left by a worker that died); returns how many. */
  releaseIdleReservations(batchId: string): Promise<number>;
  /** What was paid, USD, for each of these images that cost anything (every call that made it). */
  imageCosts(batchId: string, imageKeys: readonly string[]): Promise<Map<string, number>>;
}

interface BudgetCommands {
  imgbatchReserveCost(k1: string, k2: string, jobId: string, micros: number, mode: 'reserve' | 'check'): Promise<number[]>;
  imgbatchOpenCall(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    k5: string,
    jobId: string,
    micros: number,
    callId: string,
    timeoutMs: number,
    open: string,
    ttlSeconds: number,
    isDeploymentChecked: string,
    lockToken: string,
  ): Promise<[string, ...unknown[]]>;
  imgbatchHoldOpenCall(k1: string, callId: string, ms: number): Promise<number>;
  imgbatchSettleCost(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    k5: string,
    k6: string,
    k7: string,
    jobId: string,
    callMicros: number,
    kind: 'billed' | 'possibly',
    callId: string,
    ttlSeconds: number,
    ...pairs: (string | number)[]
  ): Promise<number>;
  imgbatchReleaseCost(k1: string, k2: string, k3: string, jobId: string): Promise<number>;
  imgbatchTakeBackCall(k1: string, k2: string, k3: string, jobId: string, callId: string): Promise<number>;
  imgbatchReleaseIdleReservations(k1: string, k2: string, k3: string): Promise<number>;
  imgbatchReleaseIdleOpenCalls(numberOfKeys: number, ...keysThenIds: string[]): Promise<number>;
}

/** Jobs looked at per script (releaseIdleReservations) or pipeline (costReservations). */
const IDLE_RELEASE_PAGE = 500;

const file = (name: string): URL => new URL(`./lua/${name}`, import.meta.url);
const BUDGET_COMMANDS = [
  luaCommand('imgbatchReserveCost', file('reserve-cost.lua'), 2),
  luaCommand('imgbatchOpenCall', file('open-call.lua'), 5),
  luaCommand('imgbatchHoldOpenCall', file('hold-open-call.lua'), 1),
  luaCommand('imgbatchSettleCost', file('settle-cost.lua'), 7),
  luaCommand('imgbatchReleaseCost', file('release-cost.lua'), 3),
  luaCommand('imgbatchTakeBackCall', file('take-back-call.lua'), 3),
  luaCommand('imgbatchReleaseIdleReservations', file('release-idle-reservations.lua'), 3),
  luaCommand('imgbatchReleaseIdleOpenCalls', file('release-idle-open-calls.lua')),
];

function callOpening(reply: readonly unknown[]): CallOpening {
  const [kind, ...rest] = reply;
  switch (kind) {
    case 'opened':
      return { kind, untilMs: Number(rest[0]), calls: Number(rest[1]) };
    case 'in_flight':
      return { kind, leftMs: Number(rest[0]) };
    case 'over_budget':
      return { kind, verdict: budgetVerdict([0, ...rest.map(Number)]) };
    case 'paused':
      return { kind, reason: String(rest[0]) };
    case 'cooling_down':
      return { kind, remainingMs: Number(rest[0]) };
    case 'lost_lock':
      return { kind };
    default:
      throw new Error(`open-call.lua answered ${String(kind)}`);
  }
}

/** The KEYS and ARGV of settle-cost.lua for one call (finish-call.lua takes them too). */
export function settleCostArgs(
  keys: KeySpace,
  batchId: string,
  jobId: string,
  call: CallSettlement,
): { readonly keys: [string, string, string, string, string, string, string]; readonly args: [string, number, 'billed' | 'possibly', string, number, ...(string | number)[]] } {
  const pairs = call.images.flatMap(({ imageKey, usd }) => [toBatchField(batchId, imageKey), checkedMicroUsd('usd', usd)]);
  return {
    keys: [
      keys.batch(batchId),
      keys.batchCostReservations(batchId),
      keys.batchCosts(batchId),
      keys.costTotal,
      keys.jobState(jobId),
      keys.clientSpend,
      // The day by this process's clock: a call settled at midnight counts on one side of it.
      keys.clientSpendOn(utcDay(Date.now())),
    ],
    args: [jobId, checkedMicroUsd('usd', call.usd), call.isPossiblyBilled === true ? 'possibly' : 'billed', call.callId, JOB_STATE_TTL_SECONDS, ...pairs],
  };
}

export function createBatchBudget(redis: RedisClient, keys: KeySpace): BatchBudget {
  defineLuaCommands(redis, BUDGET_COMMANDS);
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

    async openCall(batchId, jobId, call) {
      const open = JSON.stringify({ callId: call.callId, usd: call.usd, images: call.images });
      const reply = await commands.imgbatchOpenCall(
        keys.batch(batchId),
        keys.batchCostReservations(batchId),
        keys.jobState(jobId),
        keys.limiterDeployment(call.deployment ?? ''),
        keys.imageJobLock(jobId),
        jobId,
        checkedMicroUsd('usd', call.usd),
        call.callId,
        Math.max(0, Math.ceil(call.timeoutMs)),
        open,
        JOB_STATE_TTL_SECONDS,
        call.deployment === undefined ? '' : '1',
        call.lockToken ?? '',
      );
      return callOpening(reply);
    },

    async holdCallOpen(jobId, callId, ms) {
      return (await commands.imgbatchHoldOpenCall(keys.jobState(jobId), callId, Math.max(0, Math.ceil(ms)))) === 1;
    },

    async settleCost(batchId, jobId, call) {
      const { keys: settleKeys, args } = settleCostArgs(keys, batchId, jobId, call);
      await commands.imgbatchSettleCost(...settleKeys, ...args);
    },

    async takeBackCall(batchId, jobId, callId) {
      return (await commands.imgbatchTakeBackCall(keys.batch(batchId), keys.batchCostReservations(batchId), keys.jobState(jobId), jobId, callId)) === 1;
    },

    async releaseCost(batchId, jobId) {
      await commands.imgbatchReleaseCost(keys.batch(batchId), keys.batchCostReservations(batchId), keys.jobState(jobId), jobId);
    },

    async costReservations(batchId) {
      const holders = new Set(await redis.hkeys(keys.batchCostReservations(batchId)));
      for await (const jobIds of batchJobIds(redis, keys, batchId, IDLE_RELEASE_PAGE)) {
        const pipeline = redis.pipeline();
        for (const jobId of jobIds) pipeline.hexists(keys.jobState(jobId), 'openReserved');
        const replies = (await pipeline.exec()) ?? [];
        jobIds.forEach((jobId, index) => {
          const [error, exists] = replies[index] ?? [null, 0];
          if (error !== null) throw error;
          if (exists === 1) holders.add(jobId);
        });
      }
      return [...holders].sort();
    },

    async releaseIdleReservations(batchId) {
      // Those an earlier version kept in the batch's hash, then those of open calls, a page of
      // the batch's jobs at a time (a script over every job would hold Redis up).
      let released = await commands.imgbatchReleaseIdleReservations(keys.batch(batchId), keys.batchCostReservations(batchId), keys.imageQueueActive);
      for await (const jobIds of batchJobIds(redis, keys, batchId, IDLE_RELEASE_PAGE)) {
        const stateKeys = jobIds.map((jobId) => keys.jobState(jobId));
        released += await commands.imgbatchReleaseIdleOpenCalls(2 + jobIds.length, keys.batch(batchId), keys.imageQueueActive, ...stateKeys, ...jobIds);
      }
      return released;
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
