import type { RedisClient } from '../queue/redis-connection.js';
import { fromMicroUsd } from '../cost/micro-usd.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import type { KeySpace } from '../queue/key-space.js';
import { createBatchBudget, type BatchBudget } from './batch-budget.js';
import { emptyOutcomeCounts, IMAGE_OUTCOMES, type ImageOutcome, type OutcomeCounts } from './image-outcome.js';

/**
 * Webhook events of an image that just changed outcome, written in the same script as the
 * outcome so none is lost between the two: `image.finished` when the batch asked for per-image
 * events, and `batch.ended` when this image was the last one pending. Only for batches with a
 * callback URL. KEYS[2] counts hash, KEYS[4] batch header, KEYS[5] outbox stream.
 */
const EMIT_WEBHOOK_EVENTS = `
local function emitWebhookEvents(batchId, imageKey, previous, outcome)
  if redis.call('HEXISTS', KEYS[4], 'callbackUrl') == 0 or outcome == '' then return end
  if redis.call('HGET', KEYS[4], 'callbackPerImage') == '1' then
    redis.call('XADD', KEYS[5], '*', 'type', 'image.finished', 'batchId', batchId, 'imageKey', imageKey, 'outcome', outcome)
  end
  if previous and previous ~= '' then return end
  local done = 0
  for _, count in ipairs(redis.call('HVALS', KEYS[2])) do done = done + tonumber(count) end
  if done >= tonumber(redis.call('HGET', KEYS[4], 'images') or '0') then
    redis.call('XADD', KEYS[5], '*', 'type', 'batch.ended', 'batchId', batchId, 'ending', redis.call('HINCRBY', KEYS[4], 'endings', 1))
  end
end
`;

/**
 * Sets one image's outcome and keeps the per-status counters right however often it runs:
 * a job retried after a crash records the same outcome again without counting it twice (nor
 * sending its webhook events twice).
 * KEYS: outcomes hash, counts hash, errors hash, batch header, webhook outbox.
 * ARGV: image key, outcome, error ('' for none), batch id.
 */
const RECORD_OUTCOME_SCRIPT = `${EMIT_WEBHOOK_EVENTS}
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous ~= ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  if previous then redis.call('HINCRBY', KEYS[2], previous, -1) end
  emitWebhookEvents(ARGV[4], ARGV[1], previous, ARGV[2])
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
 * KEYS as RECORD_OUTCOME_SCRIPT; ARGV: image key, expected outcome ('' for none), new outcome
 * ('' to clear), batch id. Returns 1 when it moved the image.
 */
const MOVE_OUTCOME_SCRIPT = `${EMIT_WEBHOOK_EVENTS}
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
emitWebhookEvents(ARGV[4], ARGV[1], previous, ARGV[3])
return 1
`;

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
  /**
   * The part of `costUsd` that is calls which timed out and may have been billed, counted at
   * their expected cost (the service does not say whether it finished them).
   */
  readonly possiblyBilledCostUsd: number;
  /** Expected cost of the batch's calls in flight, USD (reserved against its budget). */
  readonly inFlightCostUsd: number;
  /** The batch's budget (`--max-cost`), USD; undefined when it has none. */
  readonly maxCostUsd: number | undefined;
  /** The API client that made the batch (ClientLedger); undefined for one made without (CLI, library). */
  readonly client?: string;
}

export interface BatchRegistry extends BatchBudget {
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
  /**
   * Names where the batch's webhook events go (checked against the allow-list by the caller).
   * Set before the batch's first job, so its `batch.ended` cannot be missed; a later enqueue
   * may change it.
   */
  setCallback(batchId: string, callback: BatchCallback): Promise<void>;
  /** The batch's callback, if it has one. */
  callbackOf(batchId: string): Promise<BatchCallback | undefined>;
  /** Image key -> last error, for failed and rejected images. */
  errors(batchId: string): Promise<Record<string, string>>;
}

/** Where a batch's webhook events go. */
export interface BatchCallback {
  /** An https URL on the config's allow-list. */
  readonly url: string;
  /** Also send `image.finished` for every image, not only `batch.ended`. Default false. */
  readonly perImage: boolean;
}

interface RegistryCommands {
  imgbatchEnsureJob(k1: string, k2: string, k3: string, now: number, batchId: string, jobId: string, images: number): Promise<number>;
  imgbatchAddJobs(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<string[]>;
  imgbatchRecordOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, key: string, outcome: string, error: string, batchId: string): Promise<string | null>;
  imgbatchClearOutcome(k1: string, k2: string, k3: string, key: string): Promise<string | null>;
  imgbatchMoveOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, key: string, expected: string, next: string, batchId: string): Promise<number>;
}

export function createBatchRegistry(redis: RedisClient, keys: KeySpace): BatchRegistry {
  redis.defineCommand('imgbatchAddJobs', { lua: ADD_JOBS_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchEnsureJob', { lua: ENSURE_JOB_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchRecordOutcome', { lua: RECORD_OUTCOME_SCRIPT, numberOfKeys: 5 });
  redis.defineCommand('imgbatchClearOutcome', { lua: CLEAR_OUTCOME_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchMoveOutcome', { lua: MOVE_OUTCOME_SCRIPT, numberOfKeys: 5 });
  const commands = redis as unknown as RegistryCommands;
  /** The keys of the outcome scripts, in their KEYS order. */
  const outcomeKeys = (batchId: string): [string, string, string, string, string] => [
    keys.batchOutcomes(batchId),
    keys.batchCounts(batchId),
    keys.batchErrors(batchId),
    keys.batch(batchId),
    keys.webhookOutbox,
  ];

  return {
    ...createBatchBudget(redis, keys),

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
      await commands.imgbatchRecordOutcome(...outcomeKeys(batchId), imageKey, outcome, error ?? '', batchId);
    },

    async clearOutcome(batchId, imageKey) {
      await commands.imgbatchClearOutcome(keys.batchOutcomes(batchId), keys.batchCounts(batchId), keys.batchErrors(batchId), imageKey);
    },

    async markCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(...outcomeKeys(batchId), imageKey, '', 'cancelled', batchId);
      return moved === 1;
    },

    async restoreCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(...outcomeKeys(batchId), imageKey, 'cancelled', '', batchId);
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
        possiblyBilledCostUsd: fromMicroUsd(Number(header.possiblyBilledMicros ?? 0)),
        inFlightCostUsd: fromMicroUsd(Math.max(0, Number(header.reservedMicros ?? 0))),
        maxCostUsd: header.maxCostMicros === undefined ? undefined : fromMicroUsd(Number(header.maxCostMicros)),
        ...(header.client !== undefined && { client: header.client }),
      };
    },

    async setCallback(batchId, callback) {
      await redis.hset(keys.batch(batchId), { callbackUrl: callback.url, callbackPerImage: callback.perImage ? '1' : '0' });
    },

    async callbackOf(batchId) {
      const [url, perImage] = await redis.hmget(keys.batch(batchId), 'callbackUrl', 'callbackPerImage');
      return url === null || url === undefined ? undefined : { url, perImage: perImage === '1' };
    },

    async errors(batchId) {
      return redis.hgetall(keys.batchErrors(batchId));
    },

  };
}
