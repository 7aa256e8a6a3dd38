import { checkInputs, type InputCheck } from '../job/check-inputs.js';
import type { ImageRequest } from '../job/image-request.js';
import type { RequestInput } from '../job/prepare-jobs.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { createBatchEstimator, type BatchEstimate, type DeploymentQuota } from './batch-estimate.js';
import type { PriceTable } from './price-table.js';

export interface RequestsEstimate {
  readonly check: InputCheck;
  readonly estimate: BatchEstimate;
}

export interface EstimateRequestsOptions {
  /** Names the batch in job ids; any valid id (nothing is enqueued). */
  readonly batchId: string;
  readonly prices: PriceTable;
  /** Whose quotas the duration assumes. */
  readonly deployments: readonly DeploymentQuota[];
  /** The models requests are checked against; default the built-in ones. */
  readonly models?: ModelCatalogue;
  /** Images per call for models that take n > 1; default 1. */
  readonly imagesPerCall?: number;
  readonly checkServed?: (request: ImageRequest) => string | undefined;
}

/**
 * Validates inputs exactly as an enqueue would (nothing enqueued) and adds up the expected cost
 * and duration of the jobs they would make: `imgbatch estimate` and `POST /v1/estimate` both
 * come here, so they give the same numbers for the same requests.
 */
export async function estimateRequests(inputs: Iterable<RequestInput> | AsyncIterable<RequestInput>, options: EstimateRequestsOptions): Promise<RequestsEstimate> {
  const estimator = createBatchEstimator({ prices: options.prices, deployments: options.deployments });
  const check = await checkInputs(inputs, {
    batchId: options.batchId,
    ...(options.models !== undefined && { models: options.models }),
    ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
    ...(options.checkServed !== undefined && { checkServed: options.checkServed }),
    onJob: (job) => {
      estimator.add(job);
    },
  });
  return { check, estimate: estimator.result() };
}
