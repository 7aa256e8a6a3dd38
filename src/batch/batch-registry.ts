import type { RedisClient } from '../queue/redis-connection.js';
import { fromMicroUsd, toMicroUsd } from '../cost/micro-usd.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { safeIdSchema } from '../job/image-request.js';
import type { KeySpace } from '../queue/key-space.js';
import { emptyOutcomeCounts, IMAGE_OUTCOMES, type ImageOutcome, type OutcomeCounts } from './image-outcome.js';

/**
 * Sets one image's outcome and keeps the per-status counters right however often it runs:
 * a job retried after a crash records the same outcome again without counting it twice.
 * KEYS: outcomes hash, counts hash, errors hash. ARGV: image key, outcome, error ('' for none).
 */
const RECORD_OUTCOME_SCRIPT = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  if previous then redis.call('HINCRBY', KEYS[2], previous, -1) end
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
end
return previous
`;

/**
 * Adds jobs to a batch and counts their images in one step, so a crash between the two can
 * never leave a job known but its images uncounted. Refuses a different images-per-call than
 * the batch was made with: job ids encode the variants each call covers, so mixing settings
 * would put one image in two jobs (counted twice, perhaps paid twice).
 * KEYS: batch hash, batch job set, batch index. ARGV: now, batch id, images per call, then
 * (job id, images) pairs. Returns {'mismatch', existing} or {'ok', added job ids...}.
 */
const ADD_JOBS_SCRIPT = `
local existing = redis.call('HGET', KEYS[1], 'imagesPerCall')
if existing and existing ~= ARGV[3] then return {'mismatch', existing} end
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1])
redis.call('HSETNX', KEYS[1], 'imagesPerCall', ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
local reply = {'ok'}
local images = 0
for i = 4, #ARGV, 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    table.insert(reply, ARGV[i])
    images = images + tonumber(ARGV[i + 1])
  end
end
if #reply > 1 then
  redis.call('HINCRBY', KEYS[1], 'images', images)
  redis.call('HINCRBY', KEYS[1], 'jobs', #reply - 1)
end
return reply
`;

/**
 * Makes sure a job is counted in its batch, however it was added (a BullMQ client in another
 * language adds jobs without our producer). KEYS: batch hash, batch job set, batch index.
 * ARGV: now, batch id, job id, images. Returns 1 when the job was new to the batch.
 */
const ENSURE_JOB_SCRIPT = `
if redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'images', tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[1], 'jobs', 1)
return 1
`;

/** Forgets one image's outcome (it is to be made again). KEYS as above; ARGV: image key. */
const CLEAR_OUTCOME_SCRIPT = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[2], previous, -1)
end
redis.call('HDEL', KEYS[3], ARGV[1])
return previous
`;

/**
 * Moves one image from one outcome to another only if it is still where the caller saw it, so
 * a cancel never overwrites an outcome a worker wrote a moment before, and bringing a cancelled
 * image back never wipes one a worker just stored.
 * KEYS as above; ARGV: image key, expected outcome ('' for none), new outcome ('' to clear).
 * Returns 1 when it moved the image.
 */
const MOVE_OUTCOME_SCRIPT = `
local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if previous ~= ARGV[2] then return 0 end
if previous ~= '' then redis.call('HINCRBY', KEYS[2], previous, -1) end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`;

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

/**
 * Counts what one call cost and drops the job's reservation. Every call paid is added: an image
 * made again (deleted from the store, or generated but not kept) was paid again, and the
 * budget and the spend must say so. The call's marker makes the script safe to run twice for
 * one call (a command sent again after a reconnect): the second run counts nothing.
 * KEYS: batch hash, reservations hash, per-image costs hash, spend over all batches, the call's
 * marker. ARGV: job id, the call's micro-USD, then (image key, micro-USD) pairs.
 */
const SETTLE_COST_SCRIPT = `
local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if own ~= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reservedMicros', -own)
end
if not redis.call('SET', KEYS[5], '1', 'NX', 'EX', 86400) then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
end
local total = tonumber(ARGV[2])
if total ~= 0 then
  redis.call('HINCRBY', KEYS[1], 'spentMicros', total)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', total)
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
local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if own ~= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reservedMicros', -own)
end
return own
`;

/** What one call cost: in all, and the share of each image it returned. */
export interface CallSettlement {
  /** Unique per call (not per job: a job may call again after its image went missing). */
  readonly callId: string;
  readonly usd: number;
  readonly images: ReadonlyArray<{ readonly imageKey: string; readonly usd: number }>;
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

function imagesPerCallMismatch(batchId: string, existing: string | undefined, asked: number): ValidationError {
  return new ValidationError([
    {
      field: 'imagesPerCall',
      reason: `batch ${batchId} was enqueued with ${existing ?? '?'} images per call, not ${asked}; use the same setting or another batch id`,
    },
  ]);
}

export interface BatchSummary {
  readonly batchId: string;
  readonly createdAt: number | undefined;
  /** Images the batch holds (counted once, however often it was enqueued). */
  readonly images: number;
  readonly jobs: number;
  readonly counts: OutcomeCounts;
  /** API calls sent for the batch, and how many of them came back 429. */
  readonly calls: number;
  readonly rateLimitedCalls: number;
  /** Images with no outcome yet (queued, waiting for a slot, or in flight). */
  readonly pending: number;
  /**
   * What the batch has cost so far, USD: each image made (or refused by the output filter) at
   * its last known cost, from the service's `usage` or else the price table.
   */
  readonly costUsd: number;
  /** Expected cost of the batch's calls in flight, USD (reserved against its budget). */
  readonly inFlightCostUsd: number;
  /** The batch's budget (`--max-cost`), USD; undefined when it has none. */
  readonly maxCostUsd: number | undefined;
}

export interface BatchRegistry {
  /**
   * Notes that these jobs belong to the batch; returns the ids that were not known before, so
   * a second enqueue of the same rows counts nothing new.
   */
  addJobs(batchId: string, jobs: ReadonlyArray<{ readonly jobId: string; readonly images: number }>, imagesPerCall: number): Promise<string[]>;
  /** Counts a job in its batch if it is not counted yet (jobs added by other BullMQ clients). */
  ensureJob(batchId: string, jobId: string, images: number): Promise<void>;
  /** Fixes the batch's images per call on its first enqueue; throws ValidationError on a different one later. */
  claimImagesPerCall(batchId: string, imagesPerCall: number): Promise<void>;
  recordOutcome(batchId: string, imageKey: string, outcome: ImageOutcome, error?: string): Promise<void>;
  outcomeOf(batchId: string, imageKey: string): Promise<ImageOutcome | undefined>;
  /** Forgets an image's outcome, so the batch counts it as pending again. */
  clearOutcome(batchId: string, imageKey: string): Promise<void>;
  /** Records `cancelled` for an image that has no outcome yet; false when it already had one. */
  markCancelled(batchId: string, imageKey: string): Promise<boolean>;
  /** Counts a cancelled image as pending again (its job was added again); false when it was not cancelled. */
  restoreCancelled(batchId: string, imageKey: string): Promise<boolean>;
  /** The job ids the batch holds, in pages. */
  jobIds(batchId: string): AsyncIterable<string[]>;
  /** Image key and outcome of every image that has one, in pages. */
  outcomes(batchId: string): AsyncIterable<Array<[string, ImageOutcome]>>;
  /** Counts one API call of the batch, before it is sent (for summaries; billing facts live in the records). */
  recordCall(batchId: string): Promise<void>;
  /** Takes back a call counted but never sent. */
  uncountCall(batchId: string): Promise<void>;
  /** Counts one call of the batch that came back 429. */
  recordRateLimited(batchId: string): Promise<void>;
  summary(batchId: string): Promise<BatchSummary>;
  /** What every batch under this prefix has cost so far, USD. */
  totalCostUsd(): Promise<number>;
  /** Image key -> last error, for failed and rejected images. */
  errors(batchId: string): Promise<Record<string, string>>;
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

interface RegistryCommands {
  imgbatchEnsureJob(k1: string, k2: string, k3: string, now: number, batchId: string, jobId: string, images: number): Promise<number>;
  imgbatchAddJobs(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<string[]>;
  imgbatchRecordOutcome(k1: string, k2: string, k3: string, key: string, outcome: string, error: string): Promise<string | null>;
  imgbatchClearOutcome(k1: string, k2: string, k3: string, key: string): Promise<string | null>;
  imgbatchMoveOutcome(k1: string, k2: string, k3: string, key: string, expected: string, next: string): Promise<number>;
  imgbatchReserveCost(k1: string, k2: string, jobId: string, micros: number, mode: 'reserve' | 'check'): Promise<number[]>;
  imgbatchSettleCost(k1: string, k2: string, k3: string, k4: string, k5: string, jobId: string, callMicros: number, ...pairs: (string | number)[]): Promise<number>;
  imgbatchReleaseCost(k1: string, k2: string, jobId: string): Promise<number>;
  imgbatchReleaseIdleReservations(k1: string, k2: string, k3: string): Promise<number>;
}

export function createBatchRegistry(redis: RedisClient, keys: KeySpace): BatchRegistry {
  redis.defineCommand('imgbatchAddJobs', { lua: ADD_JOBS_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchEnsureJob', { lua: ENSURE_JOB_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchRecordOutcome', { lua: RECORD_OUTCOME_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchClearOutcome', { lua: CLEAR_OUTCOME_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchMoveOutcome', { lua: MOVE_OUTCOME_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchReserveCost', { lua: RESERVE_COST_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchSettleCost', { lua: SETTLE_COST_SCRIPT, numberOfKeys: 5 });
  redis.defineCommand('imgbatchReleaseCost', { lua: RELEASE_COST_SCRIPT, numberOfKeys: 2 });
  redis.defineCommand('imgbatchReleaseIdleReservations', { lua: RELEASE_IDLE_RESERVATIONS_SCRIPT, numberOfKeys: 3 });
  const commands = redis as unknown as RegistryCommands;

  return {
    async addJobs(batchId, jobs, imagesPerCall) {
      if (jobs.length === 0) return [];
      const reply = await commands.imgbatchAddJobs(
        keys.batch(batchId),
        keys.batchJobs(batchId),
        keys.batches,
        Date.now(),
        batchId,
        imagesPerCall,
        ...jobs.flatMap((job) => [job.jobId, job.images]),
      );
      const [status, ...rest] = reply;
      if (status === 'mismatch') throw imagesPerCallMismatch(batchId, rest[0], imagesPerCall);
      return rest;
    },

    async ensureJob(batchId, jobId, images) {
      await commands.imgbatchEnsureJob(keys.batch(batchId), keys.batchJobs(batchId), keys.batches, Date.now(), batchId, jobId, images);
    },

    async claimImagesPerCall(batchId, imagesPerCall) {
      const [, existing] = (await redis.pipeline().hsetnx(keys.batch(batchId), 'imagesPerCall', imagesPerCall).hget(keys.batch(batchId), 'imagesPerCall').exec()) ?? [];
      const value = existing?.[1];
      if (typeof value === 'string' && value !== String(imagesPerCall)) throw imagesPerCallMismatch(batchId, value, imagesPerCall);
    },

    async recordOutcome(batchId, imageKey, outcome, error) {
      await commands.imgbatchRecordOutcome(
        keys.batchOutcomes(batchId),
        keys.batchCounts(batchId),
        keys.batchErrors(batchId),
        imageKey,
        outcome,
        error ?? '',
      );
    },

    async clearOutcome(batchId, imageKey) {
      await commands.imgbatchClearOutcome(keys.batchOutcomes(batchId), keys.batchCounts(batchId), keys.batchErrors(batchId), imageKey);
    },

    async markCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(keys.batchOutcomes(batchId), keys.batchCounts(batchId), keys.batchErrors(batchId), imageKey, '', 'cancelled');
      return moved === 1;
    },

    async restoreCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(keys.batchOutcomes(batchId), keys.batchCounts(batchId), keys.batchErrors(batchId), imageKey, 'cancelled', '');
      return moved === 1;
    },

    async *jobIds(batchId) {
      let cursor = '0';
      do {
        const [next, ids] = await redis.sscan(keys.batchJobs(batchId), cursor, 'COUNT', 1000);
        cursor = next;
        if (ids.length > 0) yield ids;
      } while (cursor !== '0');
    },

    async *outcomes(batchId) {
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(keys.batchOutcomes(batchId), cursor, 'COUNT', 1000);
        cursor = next;
        const page: Array<[string, ImageOutcome]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const outcome = IMAGE_OUTCOMES.find((o) => o === flat[i + 1]);
          const key = flat[i];
          if (outcome !== undefined && key !== undefined) page.push([key, outcome]);
        }
        if (page.length > 0) yield page;
      } while (cursor !== '0');
    },

    async outcomeOf(batchId, imageKey) {
      const value = await redis.hget(keys.batchOutcomes(batchId), imageKey);
      return IMAGE_OUTCOMES.find((o) => o === value);
    },

    async recordCall(batchId) {
      await redis.hincrby(keys.batch(batchId), 'calls', 1);
    },

    async uncountCall(batchId) {
      await redis.hincrby(keys.batch(batchId), 'calls', -1);
    },

    async recordRateLimited(batchId) {
      await redis.hincrby(keys.batch(batchId), 'rateLimitedCalls', 1);
    },

    async totalCostUsd() {
      return fromMicroUsd(Number((await redis.hget(keys.costTotal, 'spentMicros')) ?? 0));
    },

    async summary(batchId) {
      const [header, rawCounts] = await Promise.all([redis.hgetall(keys.batch(batchId)), redis.hgetall(keys.batchCounts(batchId))]);
      const counts = emptyOutcomeCounts();
      for (const outcome of IMAGE_OUTCOMES) counts[outcome] = Number(rawCounts[outcome] ?? 0);
      const images = Number(header.images ?? 0);
      const done = IMAGE_OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);
      return {
        batchId,
        createdAt: header.createdAt === undefined ? undefined : Number(header.createdAt),
        images,
        jobs: Number(header.jobs ?? 0),
        counts,
        calls: Number(header.calls ?? 0),
        rateLimitedCalls: Number(header.rateLimitedCalls ?? 0),
        pending: Math.max(0, images - done),
        costUsd: fromMicroUsd(Number(header.spentMicros ?? 0)),
        inFlightCostUsd: fromMicroUsd(Math.max(0, Number(header.reservedMicros ?? 0))),
        maxCostUsd: header.maxCostMicros === undefined ? undefined : fromMicroUsd(Number(header.maxCostMicros)),
      };
    },

    async errors(batchId) {
      return redis.hgetall(keys.batchErrors(batchId));
    },

    async setMaxCost(batchId, maxCostUsd) {
      // Before the batch's first job, perhaps: a malformed id must not leave a stray key behind.
      const idCheck = safeIdSchema.safeParse(batchId);
      if (!idCheck.success) throw new ValidationError([{ field: 'batchId', reason: idCheck.error.issues.map((i) => i.message).join('; ') }]);
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
      const pairs = call.images.flatMap(({ imageKey, usd }) => [imageKey, checkedMicroUsd('usd', usd)]);
      await commands.imgbatchSettleCost(
        keys.batch(batchId),
        keys.batchCostReservations(batchId),
        keys.batchCosts(batchId),
        keys.costTotal,
        keys.settledCall(call.callId),
        jobId,
        checkedMicroUsd('usd', call.usd),
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
        const values = await redis.hmget(keys.batchCosts(batchId), ...page);
        page.forEach((key, index) => {
          const value = values[index];
          if (value !== null && value !== undefined) costs.set(key, fromMicroUsd(Number(value)));
        });
      }
      return costs;
    },
  };
}
