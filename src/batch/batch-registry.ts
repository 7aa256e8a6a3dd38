import type { RedisClient } from '../queue/redis-connection.js';
import { fromMicroUsd } from '../cost/micro-usd.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import type { KeySpace } from '../queue/key-space.js';
import type { CallLogEntry } from '../limiter/slot-limiter.js';
import { toJobCounters, type JobCounters } from '../queue/job-state.js';
import { batchJobIds } from './batch-job-ids.js';
import { defineLuaCommands, luaCommand } from '../lua/lua-command.js';
import { DEFAULT_JOB_PRIORITY, isJobPriority, type JobPriority } from '../job/job-priority.js';
import { fromBatchField, toBatchField } from './batch-field.js';
import { budgetSnapshotOf, createBatchBudget, settleCostArgs, type BatchBudget, type BudgetSnapshot, type CallSettlement } from './batch-budget.js';
import { emptyOutcomeCounts, IMAGE_OUTCOMES, isOutcomeReason, type ImageOutcome, type OutcomeCounts, type OutcomeReason } from './image-outcome.js';

function imagesPerCallMismatch(batchId: string, existing: string | undefined, asked: number): ValidationError {
  return new ValidationError([
    {
      field: 'imagesPerCall',
      reason: `batch ${batchId} was enqueued with ${existing ?? '?'} images per call, not ${asked}; use the same setting or another batch id`,
    },
  ]);
}

/** How long an ended batch's keys stay in Redis by default: 30 days. */
export const DEFAULT_BATCH_RETENTION_SECONDS = 30 * 24 * 3600;

export interface BatchRegistryOptions {
  /**
   * How long a batch's keys stay in Redis after it ends (every image has an outcome), seconds;
   * they expire then. Default DEFAULT_BATCH_RETENTION_SECONDS (30 days; the config's
   * `redis.batchRetentionDays`).
   */
  readonly retentionSeconds?: number;
}

export interface BatchSummary {
  readonly batchId: string;
  readonly createdAt: number | undefined;
  /** When the batch's last image got its outcome (epoch ms); undefined while it runs. Its keys expire a retention later. */
  readonly endedAt?: number | undefined;
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
  /**
   * The priority of the latest enqueue that named one, which the batch's new jobs get (see
   * setPriority); `normal` when none did (or the jobs came from another BullMQ client).
   */
  readonly priority: JobPriority;
}

export interface BatchRegistry extends BatchBudget {
  /**
   * Notes that these jobs belong to the batch; returns the ids that were not known before, so
   * a second enqueue of the same rows counts nothing new. Those new ones are counted in their
   * `line` (unstartedLineOf) until a worker starts them; a job without one is not.
   */
  addJobs(batchId: string, jobs: ReadonlyArray<{ readonly jobId: string; readonly images: number; readonly line?: string }>, imagesPerCall: number): Promise<string[]>;
  /** Counts a job in its batch if it is not counted yet (jobs added by other BullMQ clients). */
  ensureJob(batchId: string, jobId: string, images: number): Promise<void>;
  /**
   * A job's first step in a worker, one round trip: ensureJob, and the job's state read
   * (src/batch/lua/start-job.lua). `firstStartLine`: on the job's first start, its line
   * (unstartedLineOf), counted down in the unstarted lines.
   */
  startJob(batchId: string, jobId: string, images: number, firstStartLine?: string): Promise<JobStart>;
  /** Fixes the batch's images per call on its first enqueue; throws ValidationError on a different one later. */
  claimImagesPerCall(batchId: string, imagesPerCall: number): Promise<void>;
  /**
   * Sets an image's outcome; `error` is the message people read, `reason` the code code acts on
   * (both kept until the image gets another outcome).
   */
  recordOutcome(batchId: string, imageKey: string, outcome: ImageOutcome, error?: string, reason?: OutcomeReason): Promise<void>;
  /** recordOutcome for the last image of a job that is done, its state deleted in the same round trip. */
  recordLastOutcome(batchId: string, jobId: string, imageKey: string, outcome: ImageOutcome): Promise<void>;
  /**
   * settleCost, the call's entry in its deployment's call log (SlotLimiter.callLogEntry) and
   * recordLastOutcome, for a job whose one image is done, in one script (finish-call.lua): one
   * round trip, not three. Safe to repeat, as each of them is.
   */
  finishCall(batchId: string, jobId: string, call: CallSettlement, imageKey: string, outcome: ImageOutcome, callLog: CallLogEntry): Promise<void>;
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
  /** Counts one call of the batch that came back 429. */
  recordRateLimited(batchId: string): Promise<void>;
  summary(batchId: string): Promise<BatchSummary>;
  /**
   * Names where the batch's webhook events go (checked against the allow-list by the caller).
   * Set before the batch's first job, so its `batch.ended` cannot be missed; a later enqueue
   * may change it.
   */
  setCallback(batchId: string, callback: BatchCallback): Promise<void>;
  /**
   * Records the priority the batch's jobs get from now on (header field `priority`), set before
   * the enqueue's first job is added. An enqueue naming another priority replaces it: people
   * raise or lower a batch's priority by enqueueing into it again, so refusing would leave
   * them no way to, and the header always names what the newest jobs carry. Jobs added before
   * keep theirs (BullMQ adds nothing for a job id it holds; the limiter reads the job's own).
   */
  setPriority(batchId: string, priority: JobPriority): Promise<void>;
  /** The batch's recorded priority; undefined when no enqueue named one (its jobs are `normal`). */
  priorityOf(batchId: string): Promise<JobPriority | undefined>;
  /** The batch's callback, if it has one. */
  callbackOf(batchId: string): Promise<BatchCallback | undefined>;
  /** Image key -> last error, for failed and rejected images. */
  errors(batchId: string): Promise<Record<string, string>>;
  /** Image key -> reason code, for images that ended with one (failed, rejected, skipped). */
  reasons(batchId: string): Promise<Record<string, OutcomeReason>>;
}

/** A job's state as its run starts. */
export interface JobStart {
  readonly counters: JobCounters;
  /** The batch's budget and spend as the job starts. */
  readonly budget: BudgetSnapshot;
  /**
   * How long the job's open call may still run, ms by Redis's clock (0: past its deadline, left
   * by a worker that stopped); undefined when no call is open.
   */
  readonly openCallLeftMs: number | undefined;
  /**
   * False when no job of the batch ever left an image at a URL to download later
   * (src/queue/pending-downloads.ts): the job's pending downloads need no read.
   */
  readonly mayHaveDownloadsLeft: boolean;
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
  imgbatchStartJob(k1: string, k2: string, k3: string, k4: string, k5: string, now: number, batchId: string, jobField: string, images: number, line: string): Promise<[string[], number | string, Array<string | null>]>;
  imgbatchAddJobs(k1: string, k2: string, k3: string, k4: string, k5: string, ...args: (string | number)[]): Promise<string[]>;
  imgbatchRecordOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, field: string, outcome: string, error: string, batchId: string, retentionSeconds: number, key: string, reason: string): Promise<string | null>;
  imgbatchRecordLastOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, field: string, outcome: string, error: string, batchId: string, retentionSeconds: number, key: string, reason: string): Promise<string | null>;
  imgbatchFinishCall(...keysThenArgs: (string | number)[]): Promise<number>;
  imgbatchClearOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, field: string): Promise<string | null>;
  imgbatchMoveOutcome(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, field: string, expected: string, next: string, batchId: string, retentionSeconds: number, key: string): Promise<number>;
}

const file = (name: string): URL => new URL(`./lua/${name}`, import.meta.url);
const REGISTRY_COMMANDS = [
  luaCommand('imgbatchAddJobs', file('add-jobs.lua'), 5),
  luaCommand('imgbatchEnsureJob', file('ensure-job.lua'), 3),
  luaCommand('imgbatchStartJob', file('start-job.lua'), 5),
  luaCommand('imgbatchRecordOutcome', file('record-outcome.lua'), 6),
  // The same script with the job's state as a seventh key: deleted with the job's last outcome.
  luaCommand('imgbatchRecordLastOutcome', file('record-outcome.lua'), 7),
  luaCommand('imgbatchFinishCall', file('finish-call.lua'), 16),
  luaCommand('imgbatchClearOutcome', file('clear-outcome.lua'), 5),
  luaCommand('imgbatchMoveOutcome', file('move-outcome.lua'), 6),
];

/** Checks a retention the way the config does, for callers that pass one directly. */
function checkedRetentionSeconds(retentionSeconds: number | undefined): number {
  if (retentionSeconds === undefined) return DEFAULT_BATCH_RETENTION_SECONDS;
  if (!Number.isInteger(retentionSeconds) || retentionSeconds < 1) {
    throw new ValidationError([{ field: 'retentionSeconds', reason: `${String(retentionSeconds)} is not allowed (a whole number of seconds, 1 or more)` }]);
  }
  return retentionSeconds;
}

export function createBatchRegistry(redis: RedisClient, keys: KeySpace, options: BatchRegistryOptions = {}): BatchRegistry {
  const retentionSeconds = checkedRetentionSeconds(options.retentionSeconds);
  defineLuaCommands(redis, REGISTRY_COMMANDS);
  const commands = redis as unknown as RegistryCommands;
  /** The keys of the outcome scripts, in their KEYS order. */
  const outcomeKeys = (batchId: string): [string, string, string, string, string, string] => [
    keys.batchOutcomes(batchId),
    keys.batchCounts(batchId),
    keys.batchErrors(batchId),
    keys.batch(batchId),
    keys.webhookOutbox,
    keys.batchReasons(batchId),
  ];

  return {
    ...createBatchBudget(redis, keys),

    async addJobs(batchId, jobs, imagesPerCall) {
      if (jobs.length === 0) return [];
      const reply = await commands.imgbatchAddJobs(
        keys.batch(batchId),
        keys.batchJobs(batchId),
        keys.batches,
        keys.unstartedLines,
        keys.pendingDownloadBatches,
        Date.now(),
        batchId,
        imagesPerCall,
        ...jobs.flatMap((job) => [toBatchField(batchId, job.jobId), job.images, job.line ?? '']),
      );
      const [status, ...rest] = reply;
      if (status === 'mismatch') throw imagesPerCallMismatch(batchId, rest[0], imagesPerCall);
      return rest.map((field) => fromBatchField(batchId, field));
    },

    async ensureJob(batchId, jobId, images) {
      await commands.imgbatchEnsureJob(keys.batch(batchId), keys.batchJobs(batchId), keys.batches, Date.now(), batchId, toBatchField(batchId, jobId), images);
    },

    async startJob(batchId, jobId, images, firstStartLine) {
      const [state, leftMs, budget] = await commands.imgbatchStartJob(
        keys.batch(batchId),
        keys.batchJobs(batchId),
        keys.batches,
        keys.jobState(jobId),
        keys.unstartedLines,
        Date.now(),
        batchId,
        toBatchField(batchId, jobId),
        images,
        firstStartLine ?? '',
      );
      return {
        counters: toJobCounters(state),
        openCallLeftMs: Number(leftMs) < 0 ? undefined : Number(leftMs),
        budget: budgetSnapshotOf(budget),
        mayHaveDownloadsLeft: budget[3] !== '0',
      };
    },

    async claimImagesPerCall(batchId, imagesPerCall) {
      const [, existing] = (await redis.pipeline().hsetnx(keys.batch(batchId), 'imagesPerCall', imagesPerCall).hget(keys.batch(batchId), 'imagesPerCall').exec()) ?? [];
      const value = existing?.[1];
      if (typeof value === 'string' && value !== String(imagesPerCall)) throw imagesPerCallMismatch(batchId, value, imagesPerCall);
    },

    async recordOutcome(batchId, imageKey, outcome, error, reason) {
      await commands.imgbatchRecordOutcome(...outcomeKeys(batchId), toBatchField(batchId, imageKey), outcome, error ?? '', batchId, retentionSeconds, imageKey, reason ?? '');
    },

    async recordLastOutcome(batchId, jobId, imageKey, outcome) {
      await commands.imgbatchRecordLastOutcome(...outcomeKeys(batchId), keys.jobState(jobId), toBatchField(batchId, imageKey), outcome, '', batchId, retentionSeconds, imageKey, '');
    },

    async finishCall(batchId, jobId, call, imageKey, outcome, callLog) {
      const settle = settleCostArgs(keys, batchId, jobId, call);
      // KEYS: settle's, the outcome's, the call log's; ARGV: the outcome's, the call log's, settle's (its pairs last).
      await commands.imgbatchFinishCall(...settle.keys, ...outcomeKeys(batchId), ...callLog.keys, toBatchField(batchId, imageKey), outcome, '', batchId, retentionSeconds, imageKey, '', ...callLog.args, ...settle.args);
    },

    async clearOutcome(batchId, imageKey) {
      await commands.imgbatchClearOutcome(
        keys.batchOutcomes(batchId),
        keys.batchCounts(batchId),
        keys.batchErrors(batchId),
        keys.batch(batchId),
        keys.batchReasons(batchId),
        toBatchField(batchId, imageKey),
      );
    },

    async markCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(...outcomeKeys(batchId), toBatchField(batchId, imageKey), '', 'cancelled', batchId, retentionSeconds, imageKey);
      return moved === 1;
    },

    async restoreCancelled(batchId, imageKey) {
      const moved = await commands.imgbatchMoveOutcome(...outcomeKeys(batchId), toBatchField(batchId, imageKey), 'cancelled', '', batchId, retentionSeconds, imageKey);
      return moved === 1;
    },

    jobIds: (batchId) => batchJobIds(redis, keys, batchId, 1000),

    async *outcomes(batchId) {
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(keys.batchOutcomes(batchId), cursor, 'COUNT', 1000);
        cursor = next;
        const page: Array<[string, ImageOutcome]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const outcome = IMAGE_OUTCOMES.find((o) => o === flat[i + 1]);
          const key = flat[i];
          if (outcome !== undefined && key !== undefined) page.push([fromBatchField(batchId, key), outcome]);
        }
        if (page.length > 0) yield page;
      } while (cursor !== '0');
    },

    async outcomeOf(batchId, imageKey) {
      const value = await redis.hget(keys.batchOutcomes(batchId), toBatchField(batchId, imageKey));
      return IMAGE_OUTCOMES.find((o) => o === value);
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
        endedAt: header.endedAt === undefined ? undefined : Number(header.endedAt),
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
        priority: isJobPriority(header.priority) ? header.priority : DEFAULT_JOB_PRIORITY,
      };
    },

    async setCallback(batchId, callback) {
      await redis.hset(keys.batch(batchId), { callbackUrl: callback.url, callbackPerImage: callback.perImage ? '1' : '0' });
    },

    async setPriority(batchId, priority) {
      await redis.hset(keys.batch(batchId), 'priority', priority);
    },

    async priorityOf(batchId) {
      const value = await redis.hget(keys.batch(batchId), 'priority');
      return isJobPriority(value) ? value : undefined;
    },

    async callbackOf(batchId) {
      const [url, perImage] = await redis.hmget(keys.batch(batchId), 'callbackUrl', 'callbackPerImage');
      return url === null || url === undefined ? undefined : { url, perImage: perImage === '1' };
    },

    async errors(batchId) {
      const stored = await redis.hgetall(keys.batchErrors(batchId));
      return Object.fromEntries(Object.entries(stored).map(([field, message]) => [fromBatchField(batchId, field), message]));
    },

    async reasons(batchId) {
      const raw = await redis.hgetall(keys.batchReasons(batchId));
      const reasons: Record<string, OutcomeReason> = {};
      for (const [field, value] of Object.entries(raw)) if (isOutcomeReason(value)) reasons[fromBatchField(batchId, field)] = value;
      return reasons;
    },

  };
}
