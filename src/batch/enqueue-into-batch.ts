import { ConfigError } from '../errors/imgbatch-error.js';
import type { RequestInput } from '../job/prepare-jobs.js';
import type { JobState } from '../queue/job-state.js';
import { newBatchId, type EnqueueOptions, type EnqueueResult, type Producer } from '../queue/producer.js';
import type { ResultStore } from '../storage/result-store.js';
import { resumeBatch, type ResumeResult } from './resume-batch.js';
import { reviewKnownJobs, type ReviewedChanges } from './review-known-jobs.js';

export interface BatchEnqueueDeps {
  readonly producer: Pick<Producer, 'enqueueInputs' | 'queue' | 'batches'>;
  /** The workers' result store: what it holds is what is done. Needed to enqueue into a batch that exists. */
  readonly store: ResultStore | undefined;
  readonly jobState: JobState;
}

export interface BatchEnqueueOptions extends Omit<EnqueueOptions, 'reviewKnownJobs'> {
  /**
   * Rows the batch holds with a different request (prompt, model, size, quality, style, output
   * format, inputs) are made again, and the images made for the old request are kept aside in
   * the store (`<batch>/previous/`); default false: the batch keeps those images, no call is made.
   */
  readonly redoChanged?: boolean;
}

export interface BatchEnqueueResult extends EnqueueResult, ReviewedChanges {
  /** What bringing the existing batch back did (see resumeBatch); absent for a new batch. */
  readonly resumed?: ResumeResult;
}

/**
 * Enqueueing rows into a batch: the one meaning shared by the CLI (`enqueue`, `run`), the
 * library client and the HTTP API.
 *
 * A new batch gets its rows' jobs. A batch that exists gets the rows it does not hold yet, and
 * is then brought back to "every image stored or filtered" as `imgbatch resume` does: images
 * missing from the store are made again, failed jobs retried with fresh attempts, cancelled and
 * budget-skipped images queued again. Images the store holds are never made again, except for
 * changed rows: a row whose request differs from what the batch holds for its id is reported
 * in `changed`, and kept as it is unless `redoChanged` (then made again, the previous image
 * kept aside). Needs the store for a batch that exists: it is what says what is done.
 */
export async function enqueueIntoBatch(
  deps: BatchEnqueueDeps,
  inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>,
  options: BatchEnqueueOptions = {},
): Promise<BatchEnqueueResult> {
  const { redoChanged, ...enqueueOptions } = options;
  const batchId = options.batchId ?? newBatchId();
  const { producer, store, jobState } = deps;
  const isKnown = options.batchId !== undefined && (await producer.batches.summary(batchId)).createdAt !== undefined;
  if (!isKnown || store === undefined) {
    if (isKnown) {
      throw new ConfigError(`batch ${batchId} exists, and enqueueing into it needs the result store to see what is done and what changed; pass \`store\``);
    }
    const result = await producer.enqueueInputs(inputs, { ...enqueueOptions, batchId });
    return { ...result, changed: [], redoneImages: 0, changedInFlight: [] };
  }
  const reviewer = reviewKnownJobs({ queue: producer.queue, batches: producer.batches, jobState, store }, redoChanged === undefined ? {} : { redoChanged });
  const result = await producer.enqueueInputs(inputs, { ...enqueueOptions, batchId, reviewKnownJobs: reviewer.review });
  // The budget was set by the enqueue, before any job was added; resume keeps it.
  const resumed = await resumeBatch({ queue: producer.queue, batches: producer.batches, jobState, store }, batchId);
  return { ...result, ...reviewer.result(), resumed };
}
