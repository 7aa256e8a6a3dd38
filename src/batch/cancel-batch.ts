import type { RedisClient } from '../queue/redis-connection.js';
import { imageKeysOf } from '../job/image-job.js';
import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import { checkBatchId } from '../job/image-request.js';
import type { ImageQueue } from '../queue/image-queue.js';
import { batchOfUnstartedLine } from '../queue/unstarted-lines.js';
import { createJobState } from '../queue/job-state.js';
import type { KeySpace } from '../queue/key-space.js';
import { createPendingDownloads } from '../queue/pending-downloads.js';
import type { BatchRegistry } from './batch-registry.js';

/** BullMQ states of a job no worker has started (or one that gave its slot back and waits again). */
export const NOT_STARTED_STATES = ['waiting', 'delayed', 'prioritized'] as const;

export interface CancelDeps {
  readonly queue: ImageQueue;
  readonly batches: BatchRegistry;
  /** The connection the queue's keys live on; for per-job bookkeeping left behind. */
  readonly redis: RedisClient;
  readonly keys: KeySpace;
}

export interface CancelResult {
  readonly batchId: string;
  /** Jobs removed from the queue before a worker took them. */
  readonly jobsCancelled: number;
  /** Images of those jobs now counted as `cancelled`. */
  readonly imagesCancelled: number;
  /** Jobs in a worker's hands right now; they finish (a call may already be paid for). */
  readonly jobsInFlight: number;
}

const PAGE = 500;
/** Jobs examined at once: a round trip each, in parallel, without flooding Redis. */
const PARALLEL = 50;

async function idsWithPrefix(queue: ImageQueue, prefix: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const state of NOT_STARTED_STATES) {
    for (let start = 0; ; start += PAGE) {
      const ids = await queue.getRanges([state], start, start + PAGE - 1);
      for (const id of ids) if (id.startsWith(prefix)) found.add(id);
      if (ids.length < PAGE) break;
    }
  }
  return found;
}

/**
 * Removes every job of the batch that no worker has started (waiting, delayed, prioritized)
 * and records its images as `cancelled`, so the batch is finished without them. Active jobs
 * are left alone: their call may already be in flight, and stopping it would not un-bill it.
 * A removed job also leaves the limiter's waiting rooms, where it would hold live jobs back.
 * Enqueueing the same requests again adds the removed jobs back and makes those images.
 */
export async function cancelBatch(deps: CancelDeps, batchId: string): Promise<CancelResult> {
  checkBatchId(batchId);
  const jobState = createJobState(deps.redis, deps.keys);
  const pendingDownloads = createPendingDownloads(deps.redis, deps.keys);
  // Jobs added by other BullMQ clients join the batch's job set only when a worker first sees
  // them; until then the contract's id format (`<batchId>/...`) is how they are found.
  const candidates = await idsWithPrefix(deps.queue, `${batchId}/`);
  for await (const page of deps.batches.jobIds(batchId)) for (const id of page) candidates.add(id);

  // The waiting rooms a parked job of the batch may hold a place in: a cancelled job leaves
  // them now, not only when it reaches the front, so no live job counts it as ahead of it.
  const groupIds = await deps.redis.smembers(deps.keys.limiterGroups);
  let jobsCancelled = 0;
  let imagesCancelled = 0;
  let jobsInFlight = 0;
  async function cancelOne(jobId: string): Promise<void> {
    const job = await deps.queue.getJob(jobId);
    if (job === undefined) return;
    const state = await job.getState();
    if (state === 'active') jobsInFlight++;
    if (!NOT_STARTED_STATES.some((s) => s === state)) return;
    // Atomic in BullMQ: 0 when a worker locked the job since we looked, which then runs.
    if ((await deps.queue.remove(jobId)) !== 1) {
      jobsInFlight++;
      return;
    }
    jobsCancelled++;
    // A call its worker left open (killed mid-call) holds its reservation in the job's state:
    // given back before the state goes, or the batch would hold that budget for good.
    await deps.batches.releaseCost(batchId, jobId);
    await jobState.clear(jobId);
    // An image left at a URL and waiting for its next download try: no run will come for it,
    // so its URL is not kept until it expires (about a day).
    await pendingDownloads.forget(jobId);
    // A delayed job may hold a limiter slot reservation; the slot is lost, the entry need not stay.
    await deps.redis.hdel(deps.keys.limiterReservations, jobId);
    if (groupIds.length > 0) {
      const leave = deps.redis.pipeline();
      for (const groupId of groupIds) leave.zrem(deps.keys.limiterRoom(groupId), jobId).hdel(deps.keys.limiterRoomUntil(groupId), jobId);
      await leave.exec();
    }
    const identity = imageJobIdentitySchema.safeParse(job.data);
    if (!identity.success || identity.data.batchId !== batchId) return;
    const imageKeys = imageKeysOf(identity.data);
    // A job from another client no worker has seen is not counted in the batch yet.
    await deps.batches.ensureJob(batchId, jobId, imageKeys.length);
    for (const key of imageKeys) if (await deps.batches.markCancelled(batchId, key)) imagesCancelled++;
  }
  const ids = [...candidates];
  for (let i = 0; i < ids.length; i += PARALLEL) await Promise.all(ids.slice(i, i + PARALLEL).map(cancelOne));
  // No job of the batch waits unfetched any more: a full worker no longer parks its jobs to let
  // the batch's lines in (src/queue/unstarted-lines.ts).
  const lines = (await deps.redis.hkeys(deps.keys.unstartedLines)).filter((field) => batchOfUnstartedLine(field) === batchId);
  if (lines.length > 0) await deps.redis.hdel(deps.keys.unstartedLines, ...lines);
  return { batchId, jobsCancelled, imagesCancelled, jobsInFlight };
}
