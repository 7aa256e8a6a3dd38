import type { RedisClient } from './redis-connection.js';
import type { KeySpace } from './key-space.js';

/** Counters of one job that must survive a worker crash; kept in Redis beside the job. */
export interface JobCounters {
  /** Calls sent to the API for this job, including ones that came back 429. */
  readonly calls: number;
  /** Calls that do not count as attempts: 429s and calls to a deployment then paused. */
  readonly freeCalls: number;
  /** 429 answers this job waited out. */
  readonly rateLimitWaits: number;
  /** Calls of this job that timed out (each may have been billed). */
  readonly timeouts: number;
  readonly lastError: string | undefined;
}

export interface JobState {
  /** Counts a call before it is sent, so a crash mid-call still shows it may have been billed. */
  countCall(jobId: string): Promise<JobCounters>;
  /** Takes back a call counted but never sent (its slot was missed). */
  uncountCall(jobId: string): Promise<void>;
  /** Marks the last call as not spending an attempt (429, or deployment paused). */
  countFreeCall(jobId: string, kind: 'rate_limited' | 'paused'): Promise<JobCounters>;
  /** Counts a call that timed out. */
  countTimeout(jobId: string): Promise<JobCounters>;
  setLastError(jobId: string, message: string): Promise<void>;
  read(jobId: string): Promise<JobCounters>;
  clear(jobId: string): Promise<void>;
  /** Reads and clears in one round trip (a job that is done). */
  take(jobId: string): Promise<JobCounters>;
}

/** Job state expires on its own when a job is removed without finishing. */
export const JOB_STATE_TTL_SECONDS = 30 * 24 * 3600;

function toCounters(hash: Record<string, string>): JobCounters {
  return {
    calls: Number(hash.calls ?? 0),
    freeCalls: Number(hash.freeCalls ?? 0),
    rateLimitWaits: Number(hash.rateLimitWaits ?? 0),
    timeouts: Number(hash.timeouts ?? 0),
    lastError: hash.lastError,
  };
}

export function createJobState(redis: RedisClient, keys: KeySpace): JobState {
  async function bump(jobId: string, fields: Record<string, number>): Promise<JobCounters> {
    const key = keys.jobState(jobId);
    const pipeline = redis.pipeline();
    for (const [field, by] of Object.entries(fields)) pipeline.hincrby(key, field, by);
    pipeline.expire(key, JOB_STATE_TTL_SECONDS);
    pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    const last = results[results.length - 1];
    if (last === undefined || last[0] !== null) throw last?.[0] ?? new Error('job state read failed');
    return toCounters(last[1] as Record<string, string>);
  }
  return {
    countCall: (jobId) => bump(jobId, { calls: 1 }),
    async uncountCall(jobId) {
      await bump(jobId, { calls: -1 });
    },
    countTimeout: (jobId) => bump(jobId, { timeouts: 1 }),
    countFreeCall: (jobId, kind) => bump(jobId, kind === 'rate_limited' ? { freeCalls: 1, rateLimitWaits: 1 } : { freeCalls: 1 }),
    async setLastError(jobId, message) {
      await redis.hset(keys.jobState(jobId), 'lastError', message.slice(0, 2_000));
    },
    async read(jobId) {
      return toCounters(await redis.hgetall(keys.jobState(jobId)));
    },
    async clear(jobId) {
      await redis.del(keys.jobState(jobId));
    },
    async take(jobId) {
      const key = keys.jobState(jobId);
      const [read] = (await redis.pipeline().hgetall(key).del(key).exec()) ?? [];
      if (read === undefined || read[0] !== null) throw read?.[0] ?? new Error('job state read failed');
      return toCounters(read[1] as Record<string, string>);
    },
  };
}
