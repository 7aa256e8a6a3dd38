import { IMAGE_JOB_NAME, imageJobSchema, imageKeysOf, parseImageJobId } from '../job/image-job.js';
import type { ImageQueue } from '../queue/image-queue.js';
import type { JobState } from '../queue/job-state.js';
import type { ResultStore } from '../storage/result-store.js';
import type { BatchRegistry } from './batch-registry.js';
import { restoreCancelled } from './restore-cancelled.js';

export interface ResumeResult {
  /** Images counted as stored or filtered whose record is missing from the store, counted as pending again. */
  readonly forgottenOutcomes: number;
  /** Finished jobs whose images were missing from the store, added again. */
  readonly requeued: number;
  /** Failed jobs given a fresh set of attempts. */
  readonly retried: number;
  /**
   * Jobs Redis no longer holds whose images are counted as done but missing from the store:
   * completed jobs are removed at once, so these images cannot be remade from here (enqueueing
   * the batch's requests again does, and costs nothing for the images still stored).
   */
  readonly forgotten: number;
  /** Cancelled images whose jobs are queued again, counted as pending again. */
  readonly uncancelled: number;
  /** Images skipped for the batch's budget whose jobs are queued again (counted in `requeued`/`retried` too, as jobs). */
  readonly unskipped: number;
  /** Budget reservations of calls no worker has in flight (a worker died mid-call), given back. */
  readonly releasedReservations: number;
}

export interface ResumeOptions {
  /** A new budget for the batch, USD, set before anything is queued again; default: keep the budget it has. */
  readonly maxCostUsd?: number;
  /**
   * `failed`: only failed jobs are retried (with fresh attempts); images missing from the store,
   * cancelled or skipped for the budget stay as they are. Default `all`.
   */
  readonly scope?: 'all' | 'failed';
}

export interface ResumeDeps {
  readonly queue: ImageQueue;
  readonly batches: BatchRegistry;
  readonly jobState: JobState;
  readonly store: ResultStore;
}

/**
 * Brings a batch back to "every image stored or filtered" where it can: the store, not
 * Redis, says what is done. A finished job whose image is missing (the output folder was
 * cleared, or it was skipped for the budget) is added again; a failed job is retried with
 * fresh attempts; an image the service rejected as invalid stays rejected, since asking again
 * cannot help. Images already in the store are never generated again: the worker checks the
 * store before every call. Skipped images come back under the batch's budget, raised first
 * when `maxCostUsd` is given; under the old one they end skipped again, without a call.
 */
export async function resumeBatch(deps: ResumeDeps, batchId: string, options: ResumeOptions = {}): Promise<ResumeResult> {
  if (options.maxCostUsd !== undefined) await deps.batches.setMaxCost(batchId, options.maxCostUsd);
  // A reservation outlives its call only when the worker making it died: BullMQ hands the job
  // to another worker (which reserves again), or gives up on it. Either way a reservation of a
  // job not active now holds budget for nothing.
  const releasedReservations = await deps.batches.releaseIdleReservations(batchId);

  // By image key first: whatever state its job is in (or if BullMQ has removed the job and an
  // enqueue added it again), an image the store does not hold is not done. Its outcome is
  // cleared below, once it is known that a job is there to make it again. Retrying only the
  // failed ones (scope 'failed') leaves these alone.
  const isAll = options.scope !== 'failed';
  const missingDone = new Set<string>();
  for await (const page of isAll ? deps.batches.outcomes(batchId) : []) {
    for (const [key, outcome] of page) {
      if (outcome !== 'stored' && outcome !== 'filtered') continue;
      if ((await deps.store.getRecord(key)) !== null) continue;
      missingDone.add(key);
    }
  }

  let requeued = 0;
  let retried = 0;
  let forgotten = 0;
  let unskipped = 0;
  let forgottenOutcomes = 0;
  for await (const ids of deps.batches.jobIds(batchId)) {
    for (const jobId of ids) {
      const job = await deps.queue.getJob(jobId);
      if (job === undefined) {
        // Completed jobs leave Redis at once. Only those whose images went missing matter:
        // with no job to make them, their outcome stays, or the batch would wait forever.
        const identity = parseImageJobId(jobId);
        const gone = identity === undefined ? [] : imageKeysOf(identity).filter((key) => missingDone.delete(key));
        if (gone.length > 0) forgotten++;
        continue;
      }
      const state = await job.getState();
      if (state !== 'failed' && (state !== 'completed' || !isAll)) continue;
      const parsed = imageJobSchema.safeParse(job.data);
      if (!parsed.success) continue;
      const missing: string[] = [];
      let isRejected = false;
      let skipped = 0;
      let failed = 0;
      for (const key of imageKeysOf(parsed.data)) {
        if ((await deps.store.getRecord(key)) !== null) continue;
        const outcome = await deps.batches.outcomeOf(batchId, key);
        if (outcome === 'rejected') isRejected = true;
        if (outcome === 'skipped') skipped++;
        if (outcome === 'failed') failed++;
        missing.push(key);
      }
      if (missing.length === 0 || isRejected) continue;
      // Budget-skipped images end as failed jobs too; retrying the failed ones leaves them skipped.
      if (!isAll && failed === 0) continue;
      unskipped += skipped;
      for (const key of missing) {
        if (missingDone.delete(key)) forgottenOutcomes++;
        await deps.batches.clearOutcome(batchId, key);
      }
      // With the limiter reservation it may hold: as a job whose state counts no call, it will
      // not look for one again (a 429's priority one would stay in the hash for good). The budget
      // reservation of a call left open goes back first: it is kept in the state.
      await deps.batches.releaseCost(batchId, jobId);
      await deps.jobState.forget(jobId);
      // The wait bound counts from the resume, not from the first enqueue.
      const data = { ...parsed.data, enqueuedAt: Date.now() };
      if (state === 'failed') {
        await job.updateData(data);
        await job.retry('failed');
        retried++;
      } else {
        await job.remove();
        await deps.queue.add(IMAGE_JOB_NAME, data, { jobId });
        requeued++;
      }
    }
  }
  // The rest have a job that has not finished (queued again, or running): it makes them.
  for (const key of missingDone) await deps.batches.clearOutcome(batchId, key);
  forgottenOutcomes += missingDone.size;
  const uncancelled = isAll ? await restoreCancelled(deps, batchId) : 0;
  return { forgottenOutcomes, requeued, retried, forgotten, uncancelled, unskipped, releasedReservations };
}
