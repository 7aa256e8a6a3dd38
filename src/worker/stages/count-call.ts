import { randomUUID } from 'node:crypto';
import type { WorkerSettings } from '../../config/config.js';
import type { DeploymentConfig } from '../../config/deployment-config.js';
import type { ExpectedCost } from '../../cost/expected-call-cost.js';
import type { ModelCatalogue } from '../../models/model-catalogue.js';
import type { JobCounters, JobState } from '../../queue/job-state.js';
import { callTimeoutOf } from '../call-timeout.js';
import type { JobContext } from './job-context.js';
import type { SpendBook } from './processor-ports.js';

export interface CountDeps {
  readonly batches: Pick<SpendBook, 'recordCall' | 'uncountCall' | 'releaseCost'>;
  readonly jobState: Pick<JobState, 'countCall' | 'uncountCall'>;
  readonly settings: Pick<WorkerSettings, 'timeoutMs'>;
  readonly models: ModelCatalogue;
  readonly now: () => number;
}

/**
 * Counts the call before it is sent, and remembers it as open (its id, expected cost and
 * deadline: now plus the deployment's timeout) until it is settled. If this process dies or
 * loses the job mid-call, whoever runs the job next waits for the deadline, then counts the
 * call as possibly billed.
 */
export async function countCall(deps: CountDeps, ctx: JobContext, deployment: DeploymentConfig, pending: readonly number[], expected: ExpectedCost): Promise<{ counters: JobCounters; callId: string }> {
  const callId = randomUUID();
  const untilMs = deps.now() + callTimeoutOf(deployment, deps.models, deps.settings).ms;
  const open = { callId, usd: expected.usd, images: pending.map((variant) => ({ imageKey: ctx.keyOf(variant), usd: expected.perImageUsd })), untilMs };
  const [counters] = await Promise.all([deps.jobState.countCall(ctx.jobId, open), deps.batches.recordCall(ctx.data.batchId)]);
  return { counters, callId };
}

/** Takes back a call counted but never sent (its slot was missed), with its budget reservation. */
export async function uncountCall(deps: CountDeps, ctx: JobContext): Promise<void> {
  const { jobId, data } = ctx;
  await Promise.all([deps.jobState.uncountCall(jobId), deps.batches.uncountCall(data.batchId), deps.batches.releaseCost(data.batchId, jobId)]);
}
