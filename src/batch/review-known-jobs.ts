import { imageJobSchema, imageKeysOf, type ImageJobData } from '../job/image-job.js';
import type { ImageQueue } from '../queue/image-queue.js';
import type { JobState } from '../queue/job-state.js';
import type { KnownJob, KnownJobsReview } from '../queue/producer.js';
import type { ResultStore } from '../storage/result-store.js';
import type { BatchRegistry } from './batch-registry.js';

export interface KnownJobsReviewDeps {
  readonly queue: ImageQueue;
  readonly batches: BatchRegistry;
  readonly jobState: JobState;
  readonly store: Pick<ResultStore, 'getRecord' | 'keepAside'>;
}

export interface KnownJobsReviewOptions {
  /** Make changed rows again, keeping their previous images aside; default false: keep what the batch has. */
  readonly redoChanged?: boolean;
}

/** What a review saw, once the enqueue it served has finished. */
export interface ReviewedChanges {
  /** Ids of requests the batch holds with a different request (prompt, model, size, ...), sorted. */
  readonly changed: readonly string[];
  /** Images of changed rows queued to be made again (`redoChanged`), their previous ones kept aside. */
  readonly redoneImages: number;
  /**
   * Ids of changed requests left as they are although `redoChanged` asked otherwise, because a
   * worker is making their image right now; enqueue again once it is done.
   */
  readonly changedInFlight: readonly string[];
}

export interface KnownJobsReviewer {
  readonly review: KnownJobsReview;
  result(): ReviewedChanges;
}

/** Removes a job unless a worker holds it now; false when it does. */
async function removeUnlessActive(job: { getState(): Promise<string>; remove(): Promise<void> }): Promise<boolean> {
  if ((await job.getState()) === 'active') return false;
  try {
    await job.remove();
    return true;
  } catch (error) {
    // Taken by a worker between the two reads: its lock makes BullMQ refuse the removal.
    if ((await job.getState()) === 'active') return false;
    throw error;
  }
}

/** Jobs looked at in parallel: a few round trips each, without flooding Redis or the store. */
const PARALLEL = 50;

/**
 * Tells a changed row from a kept one when rows are enqueued again into a batch that holds
 * them. What the batch holds for a job is the fingerprint of its stored image (the store says
 * what was made), else of the job still queued. A job whose fingerprint differs from the one
 * made from the rows now is a changed row: by default it is not added again, so the batch
 * keeps its image and spends nothing; with `redoChanged` its stored images are kept aside
 * (ResultStore.keepAside), its outcomes forgotten, and the old job replaced by the new one, so
 * workers make exactly those images again. Rows with no fingerprint on either side (enqueued
 * before fingerprints, or by another producer) are never counted as changed.
 */
export function reviewKnownJobs(deps: KnownJobsReviewDeps, options: KnownJobsReviewOptions = {}): KnownJobsReviewer {
  const changed = new Set<string>();
  const inFlight = new Set<string>();
  let redoneImages = 0;

  /** The fingerprint of what the batch holds for a job, if it can tell. */
  async function heldFingerprint(data: ImageJobData, queued: ImageJobData | undefined): Promise<string | undefined> {
    const records = await Promise.all(imageKeysOf(data).map((key) => deps.store.getRecord(key)));
    return records.find((record) => record?.fingerprint !== undefined)?.fingerprint ?? queued?.fingerprint;
  }

  /** Returns true when the job is to be withheld (not added again). */
  async function reviewOne({ jobId, data }: KnownJob): Promise<boolean> {
    if (data.fingerprint === undefined) return false;
    const job = await deps.queue.getJob(jobId);
    const parsed = imageJobSchema.safeParse(job?.data);
    const held = await heldFingerprint(data, parsed.success ? parsed.data : undefined);
    if (held === undefined || held === data.fingerprint) return false;
    changed.add(data.requestId);
    if (options.redoChanged !== true) return true;
    // The old job (finished, failed or still waiting) goes first, so no worker can make the old
    // request into the key about to be freed; the producer adds the new job under the same id.
    // BullMQ refuses to remove a job a worker holds: that one is left alone.
    if (job !== undefined && !(await removeUnlessActive(job))) {
      inFlight.add(data.requestId);
      return true;
    }
    const keys = imageKeysOf(data);
    for (const key of keys) {
      const record = await deps.store.getRecord(key);
      // Only images made for another request go aside; one already made for this request stays.
      if (record !== null && record.fingerprint !== data.fingerprint) await deps.store.keepAside(key);
      await deps.batches.clearOutcome(data.batchId, key);
    }
    // With the limiter reservation it may hold: as a job whose state counts no call, it will
    // not look for one again (a 429's priority one would stay in the hash for good). The budget
    // reservation of a call left open goes back first: it is kept in the state.
    await deps.batches.releaseCost(data.batchId, jobId);
    await deps.jobState.forget(jobId);
    redoneImages += keys.length;
    return false;
  }

  return {
    async review(jobs) {
      const withheld = new Set<string>();
      for (let start = 0; start < jobs.length; start += PARALLEL) {
        const slice = jobs.slice(start, start + PARALLEL);
        const verdicts = await Promise.all(slice.map(reviewOne));
        slice.forEach((job, index) => {
          if (verdicts[index] === true) withheld.add(job.jobId);
        });
      }
      return withheld;
    },
    result: () => ({ changed: [...changed].sort(), redoneImages, changedInFlight: [...inFlight].sort() }),
  };
}
