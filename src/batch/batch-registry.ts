import type { Redis } from 'ioredis';
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
}

export interface BatchRegistry {
  /**
   * Notes that these jobs belong to the batch; returns the ids that were not known before, so
   * a second enqueue of the same rows counts nothing new.
   */
  addJobs(batchId: string, jobs: ReadonlyArray<{ readonly jobId: string; readonly images: number }>): Promise<string[]>;
  recordOutcome(batchId: string, imageKey: string, outcome: ImageOutcome, error?: string): Promise<void>;
  outcomeOf(batchId: string, imageKey: string): Promise<ImageOutcome | undefined>;
  /** Forgets an image's outcome, so the batch counts it as pending again. */
  clearOutcome(batchId: string, imageKey: string): Promise<void>;
  /** The job ids the batch holds, in pages. */
  jobIds(batchId: string): AsyncIterable<string[]>;
  /** Counts one API call of the batch, before it is sent (for summaries; billing facts live in the records). */
  recordCall(batchId: string): Promise<void>;
  /** Takes back a call counted but never sent. */
  uncountCall(batchId: string): Promise<void>;
  /** Counts one call of the batch that came back 429. */
  recordRateLimited(batchId: string): Promise<void>;
  summary(batchId: string): Promise<BatchSummary>;
  /** Image key -> last error, for failed and rejected images. */
  errors(batchId: string): Promise<Record<string, string>>;
}

interface RegistryCommands {
  imgbatchRecordOutcome(k1: string, k2: string, k3: string, key: string, outcome: string, error: string): Promise<string | null>;
  imgbatchClearOutcome(k1: string, k2: string, k3: string, key: string): Promise<string | null>;
}

export function createBatchRegistry(redis: Redis, keys: KeySpace): BatchRegistry {
  redis.defineCommand('imgbatchRecordOutcome', { lua: RECORD_OUTCOME_SCRIPT, numberOfKeys: 3 });
  redis.defineCommand('imgbatchClearOutcome', { lua: CLEAR_OUTCOME_SCRIPT, numberOfKeys: 3 });
  const commands = redis as unknown as RegistryCommands;

  return {
    async addJobs(batchId, jobs) {
      if (jobs.length === 0) return [];
      const now = Date.now();
      const pipeline = redis.pipeline();
      pipeline.hsetnx(keys.batch(batchId), 'createdAt', now);
      pipeline.zadd(keys.batches, 'NX', now, batchId);
      for (const job of jobs) pipeline.sadd(keys.batchJobs(batchId), job.jobId);
      const results = (await pipeline.exec()) ?? [];
      const added: string[] = [];
      let images = 0;
      jobs.forEach((job, index) => {
        const result = results[index + 2];
        if (result !== undefined && result[0] === null && result[1] === 1) {
          added.push(job.jobId);
          images += job.images;
        }
      });
      if (added.length > 0) {
        await redis.pipeline().hincrby(keys.batch(batchId), 'images', images).hincrby(keys.batch(batchId), 'jobs', added.length).exec();
      }
      return added;
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

    async *jobIds(batchId) {
      let cursor = '0';
      do {
        const [next, ids] = await redis.sscan(keys.batchJobs(batchId), cursor, 'COUNT', 1000);
        cursor = next;
        if (ids.length > 0) yield ids;
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
      };
    },

    async errors(batchId) {
      return redis.hgetall(keys.batchErrors(batchId));
    },
  };
}
