import type { Config } from '../config/config.js';
import { openConfiguredInputReader } from '../inputs/open-configured-input-reader.js';
import { createSilentLogger } from '../log/logger.js';
import { openResultStore } from '../storage/open-result-store.js';
import type { BatchEstimate } from '../cost/batch-estimate.js';
import { estimateRequests } from '../cost/estimate-requests.js';
import type { InputCheck } from '../job/check-inputs.js';
import type { ImageRequest } from '../job/image-request.js';
import { readCsvFileInputs, type CsvIngestPlan } from './csv-ingest.js';
import { estimateDeployments } from './estimate-deployments.js';

export interface CsvEstimate {
  readonly check: InputCheck;
  readonly estimate: BatchEstimate;
  /** True when the duration assumes the embedded simulator's quotas (no deployment configured). */
  readonly isSimulator: boolean;
}

/**
 * Validates a CSV exactly as enqueue would (one streaming pass, nothing enqueued) and adds up
 * the expected cost and duration of the jobs it would add, at the config's prices and quotas.
 */
export async function estimateCsvFile(
  plan: CsvIngestPlan,
  config: Pick<Config, 'deployments' | 'usesSimulator' | 'prices' | 'worker' | 'store' | 'fetch' | 'models'>,
  options: { readonly checkServed?: (request: ImageRequest) => string | undefined } = {},
): Promise<CsvEstimate> {
  const { deployments, isSimulator } = estimateDeployments(config);
  // Input images of edits are read and checked as an enqueue would, without copying; `store:`
  // references are read from the configured store.
  const store = await openResultStore(config.store, createSilentLogger());
  try {
    const inputs = readCsvFileInputs(plan, { reader: await openConfiguredInputReader(config, store), models: config.models });
    const { check, estimate } = await estimateRequests(inputs, {
      batchId: plan.batchId,
      prices: config.prices,
      deployments,
      models: config.models,
      imagesPerCall: config.worker.imagesPerCall,
      ...(options.checkServed !== undefined && { checkServed: options.checkServed }),
    });
    return { check, estimate, isSimulator };
  } finally {
    await store.close();
  }
}
