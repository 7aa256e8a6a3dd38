import { actualCallCost } from '../../cost/actual-call-cost.js';
import type { ProcessResult, StageDeps } from '../processor-deps.js';
import { nextStep } from '../retry-policy.js';
import { stopped } from './admit-job.js';
import type { CallInHand } from './call-in-hand.js';
import { carryOutStep } from './carry-out-step.js';
import type { JobContext } from './job-context.js';
import { holdCallOpenForKeeping } from './hold-call-open.js';
import { keepImages } from './keep-images.js';
import { recordLastOutcomes, recordOutcomes, settleAndRecordLast } from './record-outcomes.js';
import { retryBookkeeping } from './retry-bookkeeping.js';
import { logCall, type CallAnswer } from './send-call.js';
import { settleCall } from './settle-call.js';
import { callTimeoutOf } from '../call-timeout.js';
import { formatUsd } from '../../cost/format-usd.js';

/**
 * After a 200 with images: keep them (store; the call held open meanwhile if its deadline is
 * near, hold-call-open.ts), then log and settle the call, then record the outcomes (the usual
 * end of a job of one image: all three in one script), in that order, so a Redis error after the call never
 * loses a paid image. The whole call is paid, also when fewer images came back than were asked
 * for; each image returned carries its share. Images that did not come back are tried again as the retry policy says; images in
 * the spool or waiting for a download make the job come back later, without a call.
 */
export async function finishAnswered(deps: StageDeps, ctx: JobContext, made: CallInHand, answer: Extract<CallAnswer, { kind: 'answered' }>): Promise<ProcessResult> {
  const { read, call } = answer;
  const { pending, target, counters } = made;
  const cost = actualCallCost(deps.prices, made.priced(pending.length), { kind: 'answered', usage: read.usage });
  // A job of one image logs its call with its end, in the same script (settleAndRecordLast);
  // a job of more logs it now, as the answer came, not after its images are kept.
  const mayEndInOneScript = pending.length === 1;
  if (!mayEndInOneScript) await logCall(deps, ctx.jobId, target.name, 'ok');
  await holdCallOpenForKeeping(deps, ctx, made);
  const keeping = await keepImages(deps, ctx, pending, read, { deployment: target.name, counters, call, cost });
  const returned = [...read.images, ...read.filtered].flatMap((item) => {
    const variant = pending[item.index];
    return variant === undefined ? [] : [{ imageKey: ctx.keyOf(variant), usd: cost.perImageUsd }];
  });
  const settlement = { callId: made.callId, usd: cost.usd, images: returned };
  const { kept, spooled, waiting, lost, notKept } = keeping;
  const completed = { kind: 'completed', summary: { batchId: ctx.data.batchId, requestId: ctx.data.requestId, outcomes: ctx.outcomes, deployment: target.name, calls: counters.calls } } as const;
  // The usual end, every image kept and nothing left to wait for: the last outcome goes with
  // the job's state deleted, in one script; for a job of one image (every job a request fans
  // out to) with the call's settlement before it, in the same script.
  const isDone = notKept === undefined && lost.length === 0 && spooled.length === 0 && waiting === undefined && pending.every((variant) => kept.some((k) => k.variant === variant));
  const [only] = kept;
  if (isDone && kept.length === 1 && only !== undefined) {
    await settleAndRecordLast(deps, ctx, settlement, only, target.name);
    return completed;
  }
  if (mayEndInOneScript) await logCall(deps, ctx.jobId, target.name, 'ok');
  await settleCall(deps, { jobId: ctx.jobId, batchId: ctx.data.batchId }, settlement);
  if (isDone && kept.length > 0) {
    await recordLastOutcomes(deps, ctx, kept);
    return completed;
  }
  for (const { variant, status } of kept) await recordOutcomes(deps, ctx, [variant], status);
  for (const { variant, message } of lost) await recordOutcomes(deps, ctx, [variant], 'failed', { reason: 'not_kept', message });
  if (notKept !== undefined) {
    // This run ends here and will not come back to see its spooled images land: they are on
    // disk, marked, and written by the spool's flush, so they count as stored now.
    await recordOutcomes(deps, ctx, spooled, 'stored');
    await recordOutcomes(deps, ctx, notKept.variants, 'failed', { reason: 'not_kept', message: notKept.message });
    return { kind: 'failed', message: notKept.message };
  }
  const missing = pending.filter((v) => ctx.outcomes[ctx.keyOf(v)] === undefined && !spooled.includes(v) && waiting?.variants.includes(v) !== true);
  if (missing.length > 0) {
    const why = read.unusable.map((u) => u.reason).join('; ') || `${read.images.length + read.filtered.length} of ${pending.length} images came back`;
    const decision = { kind: 'transient', code: 'incomplete_response', message: why, mayHaveBilled: true, status: 200 } as const;
    const setback = { kind: 'call', decision, timeout: callTimeoutOf(target, deps.models, deps.settings), expectedUsd: formatUsd(made.expected.usd) } as const;
    return carryOutStep(deps, ctx, stopped(nextStep(setback, counters, deps.settings)).step, missing, target.name);
  }
  if (waiting !== undefined) return { kind: 'delayed', untilMs: waiting.untilMs, reason: waiting.reason };
  // Paid and spooled: the job comes back, finds them in the store once they land (the
  // "already kept?" stage records them) and makes no call meanwhile.
  if (spooled.length > 0) {
    return { kind: 'delayed', untilMs: deps.now() + deps.settings.pauseRecheckMs, reason: `${spooled.length} paid image(s) kept in the spool until the store takes writes again` };
  }
  if (lost[0] !== undefined) return { kind: 'failed', message: lost[0].message };
  await retryBookkeeping(deps, 'clear job state', () => deps.jobState.clear(ctx.jobId));
  return completed;
}
