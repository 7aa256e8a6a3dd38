import { actualCallCost } from '../../cost/actual-call-cost.js';
import { formatUsd } from '../../cost/format-usd.js';
import { isUnansweredCall } from '../../errors/is-unanswered-call.js';
import { callTimeoutOf } from '../call-timeout.js';
import type { ProcessResult, StageDeps } from '../processor-deps.js';
import { nextStep } from '../retry-policy.js';
import { stopped } from './admit-job.js';
import type { CallInHand } from './call-in-hand.js';
import { carryOutStep } from './carry-out-step.js';
import type { JobContext } from './job-context.js';
import { keepFiltered } from './keep-filtered.js';
import { recordLastOutcomes, recordOutcomes } from './record-outcomes.js';
import { retryBookkeeping } from './retry-bookkeeping.js';
import type { CallAnswer } from './send-call.js';
import { settleCall } from './settle-call.js';

/**
 * After a call that made no image: a content filter's refusal is kept (store), billed as far
 * as we know, and never called again; an unanswered call (timeout, reset) or an answer too
 * large to read is settled as possibly billed at its expected cost; any other gives its reservation back. Then the retry
 * policy says what happens to the job.
 */
export async function finishRefused(deps: StageDeps, ctx: JobContext, made: CallInHand, answer: Extract<CallAnswer, { kind: 'refused' }>): Promise<ProcessResult> {
  const { decision, call } = answer;
  const { pending, target, counters } = made;
  const job = { jobId: ctx.jobId, batchId: ctx.data.batchId };
  if (decision.kind === 'filtered') {
    const cost = actualCallCost(deps.prices, made.priced(pending.length), { kind: 'filtered', stage: decision.filter.stage });
    const { kept, notKept } = await keepFiltered(deps, ctx, pending, decision.filter, { deployment: target.name, counters, call, cost });
    await settleCall(deps, job, { callId: made.callId, usd: cost.usd, images: pending.map((variant) => ({ imageKey: ctx.keyOf(variant), usd: cost.perImageUsd })) });
    if (notKept !== undefined) {
      for (const { variant } of kept) await recordOutcomes(deps, ctx, [variant], 'filtered');
      await recordOutcomes(deps, ctx, notKept.variants, 'failed', { reason: 'not_kept', message: notKept.message });
      return { kind: 'failed', message: notKept.message };
    }
    // Every image's refusal kept: the job is done, its state deleted with the last outcome.
    if (kept.length > 0) await recordLastOutcomes(deps, ctx, kept);
    else await retryBookkeeping(deps, 'clear job state', () => deps.jobState.clear(ctx.jobId));
    deps.logger.info({ jobId: ctx.jobId, stage: decision.filter.stage, categories: decision.filter.categories }, 'content filter refused the image; not retried');
    return { kind: 'completed', summary: { batchId: ctx.data.batchId, requestId: ctx.data.requestId, outcomes: ctx.outcomes, deployment: target.name, calls: counters.calls } };
  }
  const { expected } = made;
  // An answer too large to read is like no answer: the images may have been made and billed.
  const isPossiblyBilled = isUnansweredCall(decision) || decision.kind === 'too_large';
  const possibly = { callId: made.callId, usd: expected.usd, images: pending.map((v) => ({ imageKey: ctx.keyOf(v), usd: expected.perImageUsd })), isPossiblyBilled: true };
  await settleCall(deps, job, isPossiblyBilled ? possibly : { callId: made.callId, usd: 0, images: [] });
  if (isPossiblyBilled) deps.logger.warn({ jobId: ctx.jobId, deployment: target.name, code: decision.kind === 'transient' ? decision.code : undefined, usd: expected.usd }, 'call unanswered or its answer not read; counted as possibly billed');
  const setback = { kind: 'call', decision, timeout: callTimeoutOf(target, deps.models, deps.settings), expectedUsd: formatUsd(expected.usd) } as const;
  return carryOutStep(deps, ctx, stopped(nextStep(setback, counters, deps.settings)).step, pending, target.name);
}
