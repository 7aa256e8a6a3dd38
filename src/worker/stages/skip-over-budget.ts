import type { BudgetVerdict } from '../../batch/batch-budget.js';
import type { ExpectedCost } from '../../cost/expected-call-cost.js';
import { formatUsd } from '../../cost/format-usd.js';
import type { JobState } from '../../queue/job-state.js';
import type { ProcessResult } from '../processor-deps.js';
import type { JobContext } from './job-context.js';
import { recordOutcomes, type RecordDeps } from './record-outcomes.js';
import { retryBookkeeping } from './retry-bookkeeping.js';

/**
 * Ends the job's pending images `skipped` with reason `budget_exceeded`, no call made: the
 * call would have taken the batch past its budget. `imgbatch resume` brings them back; the
 * job ends failed so BullMQ keeps its data for that.
 */
export async function skipOverBudget(
  deps: RecordDeps & { readonly jobState: Pick<JobState, 'take'> },
  ctx: JobContext,
  pending: readonly number[],
  verdict: BudgetVerdict,
  expected: ExpectedCost,
): Promise<ProcessResult> {
  const { data } = ctx;
  const message =
    `budget: ${formatUsd(verdict.spentUsd)} spent + ${formatUsd(verdict.inFlightUsd)} in flight + ${formatUsd(expected.usd)} expected for this call ` +
    `would exceed the batch's budget of ${formatUsd(verdict.maxCostUsd ?? 0)}; no call made (imgbatch resume ${data.batchId} --max-cost <usd> makes it)`;
  await recordOutcomes(deps, ctx, pending, 'skipped', { reason: 'budget_exceeded', message });
  const counters = await retryBookkeeping(deps, 'job state', () => deps.jobState.take(ctx.jobId));
  deps.logger.debug({ jobId: ctx.jobId, spentUsd: verdict.spentUsd, maxCostUsd: verdict.maxCostUsd, calls: counters.calls }, 'over budget: skipped without a call');
  // Failed, not completed: failed jobs keep their data (completed ones are removed at once),
  // and `imgbatch resume` retries them from it.
  return { kind: 'failed', message };
}
