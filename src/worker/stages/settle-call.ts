import type { CallSettlement } from '../../batch/batch-budget.js';
import type { JobCounters, JobState } from '../../queue/job-state.js';
import type { SpendBook } from './processor-ports.js';
import { retryBookkeeping, type BookkeepingDeps } from './retry-bookkeeping.js';

export type SettleDeps = BookkeepingDeps & {
  readonly batches: Pick<SpendBook, 'settleCost'>;
};

/**
 * The settle stage, after the keep stage: what the call cost goes into the batch's spend, and
 * the job's open call is closed, in one script. A call billed for nothing we know of settles
 * at 0 USD: its reservation is given back and it is closed all the same. Retried until Redis
 * answers; settling the same call twice counts it once (its `callId`), so a retry after a
 * reply that was lost on the way costs nothing.
 */
export async function settleCall(deps: SettleDeps, job: JobOfBatch, settlement: CallSettlement): Promise<void> {
  await retryBookkeeping(deps, 'settle cost', () => deps.batches.settleCost(job.batchId, job.jobId, settlement));
}

/** A job as the spend knows it. */
export interface JobOfBatch {
  readonly jobId: string;
  readonly batchId: string;
}

/**
 * Settles the call a job's state still holds open: the call of a worker that stopped mid-call
 * (killed, or its lock lost). Nobody knows whether the service finished it, so it counts as
 * possibly billed at its expected cost, and `--max-cost` holds with it. If that worker is in
 * fact alive and settles the call later, the same `callId` counts nothing twice.
 */
export async function settleLeftCall(deps: SettleDeps & { readonly jobState: Pick<JobState, 'read'> }, job: JobOfBatch): Promise<JobCounters> {
  return settleOpenCall(deps, job, await deps.jobState.read(job.jobId));
}

/** settleLeftCall on counters already read. */
export async function settleOpenCall(deps: SettleDeps, job: JobOfBatch, counters: JobCounters): Promise<JobCounters> {
  const open = counters.openCall;
  if (open === undefined) return counters;
  deps.logger.warn({ jobId: job.jobId, callId: open.callId, usd: open.usd }, 'a call left open by a worker that stopped mid-call is counted as possibly billed');
  await settleCall(deps, job, { callId: open.callId, usd: open.usd, images: open.images, isPossiblyBilled: true });
  return { ...counters, openCall: undefined };
}
