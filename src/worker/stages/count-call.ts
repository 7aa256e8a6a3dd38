import { randomUUID } from 'node:crypto';
import type { CallOpening } from '../../batch/batch-budget.js';
import type { WorkerSettings } from '../../config/config.js';
import type { DeploymentConfig } from '../../config/deployment-config.js';
import type { ExpectedCost } from '../../cost/expected-call-cost.js';
import type { ModelCatalogue } from '../../models/model-catalogue.js';
import { callTimeoutOf } from '../call-timeout.js';
import type { JobContext } from './job-context.js';
import type { SpendBook } from './processor-ports.js';

export interface CountDeps {
  readonly batches: Pick<SpendBook, 'openCall' | 'takeBackCall'>;
  readonly settings: Pick<WorkerSettings, 'timeoutMs'>;
  readonly models: ModelCatalogue;
  readonly now: () => number;
}

/**
 * How long a call stays open past its timeout. The call's own timeout starts only once it is
 * sent, after the opening's round trip, and an answer at its very end is held open
 * (hold-call-open.ts) one more round trip later: without this, a run that took the job over
 * could find the call past its deadline in between, count it abandoned and call again, while
 * this worker keeps the images it paid for.
 */
export const OPEN_CALL_GRACE_MS = 1_000;

/**
 * Opens the call right before it is sent, in one atomic step: refused unless this run still
 * holds the job's lock (a run that lost the job makes no call), or while the deployment is
 * paused or cooling down (the job may have slept towards its slot meanwhile), its expected cost reserved, the
 * call counted and remembered as open (its id, expected cost and deadline: now plus the
 * deployment's timeout and OPEN_CALL_GRACE_MS, by Redis's clock) until it is settled. Refused while another call of
 * the job is open: two runs of one job (after a Redis pause longer than the lock) open one
 * call between them. If this process dies or loses the job mid-call, whoever runs the job next
 * waits for the deadline, then counts the call as possibly billed.
 */
export async function countCall(deps: CountDeps, ctx: JobContext, deployment: DeploymentConfig, pending: readonly number[], expected: ExpectedCost): Promise<{ opening: CallOpening; callId: string; openUntilMs: number }> {
  const callId = randomUUID();
  const timeoutMs = callTimeoutOf(deployment, deps.models, deps.settings).ms;
  const images = pending.map((variant) => ({ imageKey: ctx.keyOf(variant), usd: expected.perImageUsd }));
  // By this worker's clock, from before the call was opened: never later than Redis's deadline.
  const openUntilMs = deps.now() + timeoutMs;
  const opening = await deps.batches.openCall(ctx.data.batchId, ctx.jobId, { callId, usd: expected.usd, images, timeoutMs: timeoutMs + OPEN_CALL_GRACE_MS, deployment: deployment.name, lockToken: ctx.lockToken });
  return { opening, callId, openUntilMs };
}

/**
 * Takes back a call counted but never sent (its slot was missed), with its budget reservation,
 * in one step, and only if it is still the job's open call: a run that lost its lock meanwhile
 * must not close the call of the run that took the job over.
 */
export async function uncountCall(deps: CountDeps, ctx: JobContext, callId: string): Promise<void> {
  await deps.batches.takeBackCall(ctx.data.batchId, ctx.jobId, callId);
}
