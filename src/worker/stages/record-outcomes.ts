import type { CallSettlement } from '../../batch/batch-budget.js';
import type { ImageOutcome, OutcomeDetail } from '../../batch/image-outcome.js';
import type { JobContext } from './job-context.js';
import type { CallSlots, OutcomeBook } from './processor-ports.js';
import { retryBookkeeping, type BookkeepingDeps } from './retry-bookkeeping.js';

export type RecordDeps = BookkeepingDeps & { readonly batches: Pick<OutcomeBook, 'recordOutcome'> };
export type RecordLastDeps = BookkeepingDeps & { readonly batches: Pick<OutcomeBook, 'recordOutcome' | 'recordLastOutcome'> };
export type FinishDeps = BookkeepingDeps & { readonly batches: Pick<OutcomeBook, 'finishCall'>; readonly limiter: Pick<CallSlots, 'callLogEntry'> };

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

/**
 * The record stage of a job that ends here, every image kept: their outcomes, the last one with
 * the job's state deleted in the same script (the job is done; one round trip less per job).
 */
export async function recordLastOutcomes(deps: RecordLastDeps, ctx: JobContext, kept: ReadonlyArray<{ readonly variant: number; readonly status: ImageOutcome }>): Promise<void> {
  const last = kept.at(-1);
  for (const { variant, status } of kept.slice(0, -1)) await recordOutcomes(deps, ctx, [variant], status);
  if (last === undefined) return;
  const key = ctx.keyOf(last.variant);
  ctx.outcomes[key] = last.status;
  await retryBookkeeping(deps, 'record outcome', () => deps.batches.recordLastOutcome(ctx.data.batchId, ctx.jobId, key, last.status));
}

/**
 * The settle and record stages of a job whose one image is kept, in one script: the call
 * settled and written in its deployment's call log, then the image's outcome with the job's
 * state deleted (settleCall, the call log of send-call.ts and recordLastOutcomes: one round
 * trip where they take three). Retried until Redis answers; a script sent again after one that
 * ran finds the state gone and the outcome set, and neither settles nor logs the call again.
 */
export async function settleAndRecordLast(deps: FinishDeps, ctx: JobContext, settlement: CallSettlement, kept: { readonly variant: number; readonly status: ImageOutcome }, deployment: string): Promise<void> {
  const key = ctx.keyOf(kept.variant);
  ctx.outcomes[key] = kept.status;
  const callLog = deps.limiter.callLogEntry(deployment, 'ok');
  await retryBookkeeping(deps, 'settle cost and record outcome', () => deps.batches.finishCall(ctx.data.batchId, ctx.jobId, settlement, key, kept.status, callLog));
}
