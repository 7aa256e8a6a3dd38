import type { ImageOutcome, OutcomeDetail } from '../../batch/image-outcome.js';
import type { JobContext } from './job-context.js';
import type { OutcomeBook } from './processor-ports.js';
import { retryBookkeeping, type BookkeepingDeps } from './retry-bookkeeping.js';

export type RecordDeps = BookkeepingDeps & { readonly batches: Pick<OutcomeBook, 'recordOutcome'> };

/**
 * The record stage: each image's outcome into its batch, with the reason code and message of
 * one that is not success. Retried until Redis answers: a batch waits for every outcome.
 */
export async function recordOutcomes(deps: RecordDeps, ctx: JobContext, variants: readonly number[], outcome: ImageOutcome, detail?: OutcomeDetail): Promise<void> {
  for (const variant of variants) {
    const key = ctx.keyOf(variant);
    ctx.outcomes[key] = outcome;
    await retryBookkeeping(deps, 'record outcome', () => deps.batches.recordOutcome(ctx.data.batchId, key, outcome, detail?.message, detail?.reason));
  }
}
