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
  /**
   * The call counted before it was sent and not settled yet. Found by the next worker to run
   * the job, it is the call of a worker that died (or lost the job) mid-call: it may have been
   * billed, so it is settled as possibly billed at its expected cost.
   */
  readonly openCall?: OpenCall | undefined;
}

/** A call in flight as its job state remembers it: enough to settle it without the worker that sent it. */
export interface OpenCall {
  /** The call's id in the spend (settling it twice counts it once). */
  readonly callId: string;
  /** Expected cost of the call, USD. */
  readonly usd: number;
  /** Each image's share of it. */
  readonly images: ReadonlyArray<{ readonly imageKey: string; readonly usd: number }>;
  /**
   * When the call ends at the latest, epoch ms by Redis's clock (the one every worker shares):
   * its opening plus its timeout. Until then it may still be running in a worker that lost the
   * job (its lock expired in a Redis pause) and will keep its image; nobody calls for the job
   * before (src/batch/lua/open-call.lua refuses).
   */
  readonly untilMs?: number | undefined;
}

/**
 * A job's counters in Redis. A call is counted and opened with the batch's budget in one
 * script (SpendBook.openCall, src/batch/lua/open-call.lua) and closed by its settlement.
 */
export interface JobState {
  /** Marks the last call as not spending an attempt (429, or deployment paused). */
  countFreeCall(jobId: string, kind: 'rate_limited' | 'paused'): Promise<JobCounters>;
  /** Counts a call that timed out. */
  countTimeout(jobId: string): Promise<JobCounters>;
  setLastError(jobId: string, message: string): Promise<void>;
  read(jobId: string): Promise<JobCounters>;
  clear(jobId: string): Promise<void>;
  /**
   * Clears the state of a job to be made again (resume, review of known jobs) and the limiter
   * reservation it may hold, in one round trip. A job whose state counts no call skips the
   * reservation lookup (acquire-slot.lua), so a reservation left behind would never be claimed,
   * and the reservations hash has no expiry.
   */
  forget(jobId: string): Promise<void>;
  /** Reads and clears in one round trip (a job that is done). */
  take(jobId: string): Promise<JobCounters>;
}

/** Job state expires on its own when a job is removed without finishing. */
export const JOB_STATE_TTL_SECONDS = 30 * 24 * 3600;

/** Counters from the job state hash, as HGETALL answers it (a record, or a flat array from a script). */
export function toJobCounters(reply: Record<string, string> | readonly string[]): JobCounters {
  const hash: Record<string, string> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) hash[reply[i] as string] = reply[i + 1] as string;
  else Object.assign(hash, reply);
  return toCounters(hash);
}

function toCounters(hash: Record<string, string>): JobCounters {
  return {
    calls: Number(hash.calls ?? 0),
    freeCalls: Number(hash.freeCalls ?? 0),
    rateLimitWaits: Number(hash.rateLimitWaits ?? 0),
    timeouts: Number(hash.timeouts ?? 0),
    lastError: hash.lastError,
    openCall: hash.openCall === undefined ? undefined : parseOpenCall(hash.openCall, hash.openUntilMs),
  };
}

/** Our own field, written by countCall; unreadable only if another writer put it there. */
function parseOpenCall(text: string, untilText: string | undefined): OpenCall | undefined {
  try {
    const value = JSON.parse(text) as Partial<OpenCall>;
    if (typeof value.callId !== 'string' || typeof value.usd !== 'number' || !Array.isArray(value.images)) return undefined;
    const untilMs = untilText === undefined ? undefined : Number(untilText);
    return { callId: value.callId, usd: value.usd, images: value.images, ...(untilMs !== undefined && Number.isFinite(untilMs) && { untilMs }) };
  } catch {
    return undefined;
  }
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
    async forget(jobId) {
      const results = (await redis.pipeline().del(keys.jobState(jobId)).hdel(keys.limiterReservations, jobId).exec()) ?? [];
      const error = results.map(([failed]) => failed).find((failed): failed is Error => failed !== null);
      if (error !== undefined) throw error;
    },
    async take(jobId) {
      const key = keys.jobState(jobId);
      const [read] = (await redis.pipeline().hgetall(key).del(key).exec()) ?? [];
      if (read === undefined || read[0] !== null) throw read?.[0] ?? new Error('job state read failed');
      return toCounters(read[1] as Record<string, string>);
    },
  };
}
