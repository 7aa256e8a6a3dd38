/**
 * The image job processor: one job from start to end, as a pipeline of named stages, each a
 * module of its own under ./stages, testable alone with in-memory fakes of the ports in
 * ./stages/processor-ports.ts:
 *
 *   0. start-job.lua       the job counted in its batch and its state read, one round trip;
 *      settle-call.ts      a call left open by a worker that lost the job: wait until its deadline
 *                          (it may still be kept), then count it as possibly billed
 *   1. find-kept-images.ts already kept? the store, not Redis, says what is done (an image
 *                          stored for another request is not); keep-downloads-left.ts: an
 *                          image paid and left at a URL is downloaded, not called for again
 *      store gate          no call while the store cannot be written or an image waits in the spool
 *   2. admit-job.ts        admit (1/2): waited too long? a deployment here? edit inputs unchanged?
 *      take-slot.ts        admit (2/2): budget, a slot of the shared limiter, reservation, and the
 *      count-call.ts         call opened before it is sent (open-call.lua: budget reserved, counted,
 *                            open until its deadline; refused while another call of the job is open)
 *      skip-over-budget.ts   ...or the images end `skipped` (reason budget_exceeded), no call
 *   3. send-call.ts        call: one images call, its answer classified
 *   4. finish-answered.ts  settle and keep: store first (keep-images.ts), then the spend
 *      finish-refused.ts   (settle-call.ts), both retried until Redis answers
 *   5. record-outcomes.ts  record: each image's outcome, with a reason code when it is not success
 *                          (a job done here: the last outcome deletes its state, one script; a
 *                          job of one image kept: settled and recorded in that one script)
 *
 * Every "try again", "wait" or "give up" is decided by one pure function, nextStep in
 * ./retry-policy.ts; carry-out-step.ts does what it says. Returns what the queue should do
 * with the job; the BullMQ composition root (image-worker.ts) turns that into completion, a
 * delay or a failure. Every image the job gives up on gets an outcome with its reason, so no
 * batch waits forever for it.
 */
import { imageJobSchema, checkJobForModel, imageKeysOf, type ImageJobData } from '../job/image-job.js';
import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import { lifecycleOf, retiredReason } from '../models/lifecycle-of.js';
import type { FieldIssue } from '../errors/imgbatch-error.js';
import type { z } from 'zod';
import type { ProcessorDeps, ProcessResult, StageDeps } from './processor-deps.js';
import { nextStep } from './retry-policy.js';
import { admitJob, stopped } from './stages/admit-job.js';
import { carryOutStep } from './stages/carry-out-step.js';
import { finishAnswered } from './stages/finish-answered.js';
import { finishRefused } from './stages/finish-refused.js';
import { findKeptImages } from './stages/find-kept-images.js';
import { keepDownloadsLeft } from './stages/keep-downloads-left.js';
import { createJobContext, type JobContext } from './stages/job-context.js';
import type { JobCounters } from '../queue/job-state.js';
import { unstartedLineOf } from '../queue/unstarted-lines.js';
import { expectedCostOf, pricedCallOf } from './stages/price-call.js';
import { recordOutcomes } from './stages/record-outcomes.js';
import { retryBookkeeping } from './stages/retry-bookkeeping.js';
import { sendCall } from './stages/send-call.js';
import { settleOpenCall } from './stages/settle-call.js';
import { skipOverBudget } from './stages/skip-over-budget.js';
import { takeSlot } from './stages/take-slot.js';

export type { CallImages, ImagesCallResult, JobSummary, ProcessorDeps, ProcessResult } from './processor-deps.js';

/** One run of a job, as BullMQ hands it over. */
export interface JobRun {
  readonly id: string;
  readonly data: unknown;
  /**
   * The job was put back to wait before (parked in line, a 429, a backoff): it may hold a place
   * in line or a slot already, so it does not queue behind this process's jobs of its line that
   * came after it (take-slot.ts).
   */
  readonly wasDelayed?: boolean;
  /** The token of the job's BullMQ lock this run holds (JobContext.lockToken). */
  readonly lockToken?: string | undefined;
}

/** Runs one job through its stages; `lost` when its lock turned out to be another run's before its call. */
export async function processImageJob(deps: ProcessorDeps, job: JobRun): Promise<ProcessResult> {
  const stageDeps: StageDeps = { ...deps, now: deps.now ?? Date.now, sleep: deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))) };
  const parsed = imageJobSchema.safeParse(job.data);
  const issues = parsed.success ? [...checkJobForModel(parsed.data, deps.models), ...retirementIssues(stageDeps, parsed.data)] : [];
  if (!parsed.success || issues.length > 0) return rejectInvalidJob(stageDeps, job, parsed.success ? issues.map((i) => `${i.field}: ${i.reason}`).join('; ') : describeJobIssues(parsed.error));
  try {
    return await runStages(stageDeps, job, parsed.data);
  } catch (error) {
    // An unexpected error (Redis, the store) may leave the call's budget reservation behind,
    // holding budget no call uses; the job's retry reserves again.
    await deps.batches.releaseCost(parsed.data.batchId, job.id).catch(() => undefined);
    throw error;
  }
}

async function runStages(deps: StageDeps, job: JobRun, data: ImageJobData): Promise<ProcessResult> {
  const { id: jobId, wasDelayed = false, lockToken } = job;
  const ctx = createJobContext(jobId, data, lockToken);
  // One round trip for the job's count in its batch (jobs from other BullMQ clients skip our
  // producer) and its state. On its first start it leaves the jobs waiting unfetched of its line
  // (unstarted-lines.ts).
  const firstStartLine = wasDelayed ? undefined : unstartedLineOf(data);
  const start = await deps.batches.startJob(data.batchId, jobId, data.variants.length, firstStartLine);
  if (start.openCallLeftMs !== undefined && start.openCallLeftMs > 0) return waitForCallInFlight(deps, ctx, start.counters, start.openCallLeftMs);
  // The store is read after the state, never beside it: another run keeps its images before it
  // closes its call, so a call found closed here has its images in the store by now. Read side
  // by side, the store could be read before that run kept them and the state after it closed the
  // call: the images would be made and paid a second time (seen in the chaos run).
  const found = await findKeptImages(deps.store, ctx);
  const left = start.counters;
  const counters = await settleOpenCall(deps, { jobId, batchId: data.batchId }, left);
  if (found.kind === 'unreadable') return carryOutStep(deps, ctx, stopped(nextStep({ kind: 'store_unreadable', message: found.message }, counters, deps.settings)).step, []);
  // Its call was settled when it was kept (or by settleLeftCall): nothing to settle here.
  for (const { variant, status } of found.kept) await recordOutcomes(deps, ctx, [variant], status);
  const downloads = await keepDownloadsLeft(deps, ctx, found.pending, start.mayHaveDownloadsLeft);
  if (downloads.kind === 'stopped') return downloads.result;
  const { pending } = downloads;
  if (pending.length === 0) {
    const taken = await retryBookkeeping(deps, 'job state', () => deps.jobState.take(jobId));
    return { kind: 'completed', summary: { batchId: data.batchId, requestId: data.requestId, outcomes: ctx.outcomes, calls: taken.calls } };
  }
  // Before any budget, slot or call: no call while the store cannot be written (its breaker is
  // open) or while one of these images, already paid, waits in a spool.
  const gate = await deps.storeGate.admit(pending.map((variant) => ctx.keyOf(variant)));
  if (gate.kind === 'wait') return { kind: 'delayed', untilMs: deps.now() + gate.retryInMs, reason: gate.reason };
  const admission = await admitJob(deps, ctx, counters);
  if (admission.kind === 'stopped') return carryOutStep(deps, ctx, admission.step, pending);
  const priced = pricedCallOf(data, admission.editInputs);
  const expected = expectedCostOf(deps.prices, priced, pending.length);
  const slot = await takeSlot(deps, ctx, pending, admission.candidates, expected, { counters, budget: start.budget, wasDelayed });
  if (slot.kind === 'over_budget') return skipOverBudget(deps, ctx, pending, slot.verdict, expected);
  if (slot.kind === 'lost') return { kind: 'lost', reason: 'the job\'s lock is no longer this run\'s (it expired while Redis did not answer; another run may hold it now): no call made' };
  if (slot.kind === 'stopped') return carryOutStep(deps, ctx, slot.step, pending);
  const answer = await sendCall(deps, ctx, slot.deployment, pending, { callNumber: slot.counters.calls, editInputs: admission.editInputs });
  const made = { target: slot.deployment, counters: slot.counters, callId: slot.callId, openUntilMs: slot.openUntilMs, pending, priced, expected };
  return answer.kind === 'answered' ? finishAnswered(deps, ctx, made, answer) : finishRefused(deps, ctx, made, answer);
}

/**
 * A call of this job may still be running: this run took the job over from a worker that lost
 * it (its lock expired in a Redis pause longer than the lock) or died. A living worker keeps
 * what its call brings, so nobody calls again before the call's own timeout has ended it;
 * then the store is read again, and only an image still missing is called for (the open call
 * counted as possibly billed). The time left is by Redis's clock, the one its deadline was set
 * by; the delay is then taken on this worker's clock.
 */
async function waitForCallInFlight(deps: StageDeps, ctx: JobContext, counters: JobCounters, leftMs: number): Promise<ProcessResult> {
  deps.logger.warn({ jobId: ctx.jobId, leftMs }, 'a call of this job may still be in flight; looking at the store again after its deadline');
  return carryOutStep(deps, ctx, stopped(nextStep({ kind: 'call_in_flight', leftMs }, counters, deps.settings)).step, []);
}

/** A job that is not a valid image job (or asks a model for what it cannot do): its images end `rejected`, no call. */
async function rejectInvalidJob(deps: StageDeps, job: { readonly id: string; readonly data: unknown }, problems: string): Promise<ProcessResult> {
  const message = `invalid job payload: ${problems}`;
  const identity = imageJobIdentitySchema.safeParse(job.data);
  if (identity.success) {
    const keys = imageKeysOf(identity.data);
    await deps.batches.ensureJob(identity.data.batchId, job.id, keys.length);
    for (const key of keys) await retryBookkeeping(deps, 'record outcome', () => deps.batches.recordOutcome(identity.data.batchId, key, 'rejected', message, 'invalid_job'));
  }
  deps.logger.warn({ jobId: job.id }, message);
  return { kind: 'failed', message };
}

function describeJobIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(job)'}: ${issue.message}`).join('; ');
}

/**
 * A job of a retired model (queued before its retirement day, or added by another client) is
 * refused before any call: Azure's deployments of it no longer work.
 */
function retirementIssues(deps: StageDeps, data: ImageJobData): FieldIssue[] {
  const model = deps.models.find(data.model);
  if (model === undefined) return [];
  const status = lifecycleOf(model, deps.now());
  return status.kind === 'retired' ? [{ field: 'model', reason: retiredReason(model, status.retiresOn) }] : [];
}
