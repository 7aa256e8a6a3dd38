import type { ImageJobData } from './image-job.js';
import type { ImageRequest } from './image-request.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { createJobPreparer, type ModelNotice, type RejectedRequest, type RequestInput } from './prepare-jobs.js';

export interface InputCheck {
  /** Inputs read (rows that are not blank). */
  readonly inputs: number;
  /** Inputs that would be enqueued. */
  readonly accepted: number;
  readonly rejected: readonly RejectedRequest[];
  /** Image jobs (API calls) and images the accepted inputs make. */
  readonly jobs: number;
  readonly images: number;
  /** Models of accepted inputs that Azure retires soon. */
  readonly notices: readonly ModelNotice[];
}

/**
 * Validates and fans out inputs exactly as an enqueue would, without touching Redis: the
 * dry run, and the first pass of a strict enqueue (nothing is added unless every input is good).
 * Holds only the rejections, so a file of any size is checked in bounded memory.
 */
export async function checkInputs(
  inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>,
  options: {
    readonly batchId: string;
    /** The models requests are checked against; default the built-in ones. */
    readonly models?: ModelCatalogue;
    readonly imagesPerCall?: number;
    /** Clock for model lifecycles, epoch ms; default now. */
    readonly now?: number;
    readonly checkServed?: (request: ImageRequest) => string | undefined;
    /** Sees every job an enqueue would add (estimates add up their cost); default none. */
    readonly onJob?: (job: ImageJobData) => void;
  },
): Promise<InputCheck> {
  const preparer = createJobPreparer(options);
  const rejected: RejectedRequest[] = [];
  let count = 0;
  let accepted = 0;
  let jobs = 0;
  let images = 0;
  for await (const input of inputs) {
    count++;
    const prepared = preparer.prepare(input);
    if (prepared.kind === 'rejected') {
      rejected.push(prepared.rejection);
      continue;
    }
    accepted++;
    jobs += prepared.jobs.length;
    for (const job of prepared.jobs) {
      images += job.variants.length;
      options.onJob?.(job);
    }
  }
  return { inputs: count, accepted, rejected, jobs, images, notices: preparer.notices() };
}
