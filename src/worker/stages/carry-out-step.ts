import type { Logger } from '../../log/logger.js';
import type { JobState } from '../../queue/job-state.js';
import type { ProcessResult } from '../processor-deps.js';
import type { CounterBump, NextStep } from '../retry-policy.js';
import type { JobContext } from './job-context.js';
import type { CallSlots } from './processor-ports.js';
import { recordOutcomes, type RecordDeps } from './record-outcomes.js';
import { retryBookkeeping } from './retry-bookkeeping.js';

export type CarryOutDeps = RecordDeps & {
  readonly jobState: JobState;
  readonly limiter: Pick<CallSlots, 'cooldown' | 'pause'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly wakeEarlyMs: number;
};

/** A step of the retry policy that ends this run of the job. */
export type StoppingStep = Exclude<NextStep, { kind: 'proceed' } | { kind: 'keep_filtered' }>;

/**
 * Does what the retry policy decided, for the job's `variants` after a call to `deployment`
 * (or before any call), and says what the queue does with the job. The decisions are the
 * policy's (src/worker/retry-policy.ts); this only carries them out.
 */
export async function carryOutStep(deps: CarryOutDeps, ctx: JobContext, step: StoppingStep, variants: readonly number[], deployment?: string): Promise<ProcessResult> {
  const { jobId } = ctx;
  if (step.count !== undefined) await bump(deps, jobId, step.count);
  const lastError = step.kind === 'retry' || step.kind === 'fail' ? step.lastError : undefined;
  if (lastError !== undefined) await retryBookkeeping(deps, 'last error', () => deps.jobState.setLastError(jobId, lastError));
  switch (step.kind) {
    case 'retry':
      deps.logger.debug({ jobId, afterMs: step.afterMs, reason: step.reason }, 'trying again later');
      return { kind: 'delayed', untilMs: wakeAt(deps.now(), step.afterMs, step.wakeGridMs), reason: step.reason };
    case 'fail':
      await recordOutcomes(deps, ctx, variants, step.outcome, { reason: step.reason, message: step.message });
      return { kind: 'failed', message: step.message };
    case 'cool_down': {
      const target = deployment ?? '';
      // The job comes back for the deployment's first slot after the wait, not the back of the line.
      const { retryInMs } = await retryBookkeeping(deps, 'cooldown', () => deps.limiter.cooldown(target, step.waitMs, { jobId, images: variants.length }));
      deps.logger.debug({ jobId, deployment: target, waitMs: step.waitMs, retryInMs }, '429: waiting as the service asked');
      const untilMs = retryInMs === undefined ? deps.now() + step.waitMs : deps.now() + Math.max(0, retryInMs - deps.wakeEarlyMs);
      return { kind: 'delayed', untilMs, reason: `429 from ${target}, retry in ${retryInMs ?? step.waitMs} ms` };
    }
    case 'pause_deployment': {
      const target = deployment ?? '';
      await retryBookkeeping(deps, 'pause deployment', () => deps.limiter.pause(target, step.reason));
      deps.logger.error(
        { deployment: target, reason: step.reason },
        `deployment ${target} paused: ${step.reason}. Its jobs stay queued. Fix the cause (key, endpoint, deployment name, role), then run: imgbatch deployments resume ${target}`,
      );
      return { kind: 'delayed', untilMs: deps.now() + step.afterMs, reason: `deployment ${target} paused` };
    }
  }
}

/** now + afterMs, put down to a multiple of gridMs when one is given, but not before now. */
function wakeAt(now: number, afterMs: number, gridMs: number | undefined): number {
  const at = now + afterMs;
  if (gridMs === undefined || gridMs <= 0) return at;
  return Math.max(now, Math.floor(at / gridMs) * gridMs);
}

async function bump(deps: CarryOutDeps, jobId: string, count: CounterBump): Promise<void> {
  await retryBookkeeping(deps, 'job counters', () => (count === 'timeout' ? deps.jobState.countTimeout(jobId) : deps.jobState.countFreeCall(jobId, count)));
}
