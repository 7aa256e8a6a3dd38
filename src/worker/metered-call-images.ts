import type { Logger } from '../log/logger.js';
import type { CallMetrics } from '../metrics/call-metrics.js';
import { callOutcome, type CallVerdict } from '../metrics/call-outcome.js';
import type { JobState } from '../queue/job-state.js';
import type { CallImages } from './process-image-job.js';

export interface CallMeterDeps {
  readonly metrics: CallMetrics;
  /** The job's call counter: the processor counts a call before sending it, so more than one means a retry. */
  readonly jobState: Pick<JobState, 'read'>;
  readonly logger: Logger;
}

/**
 * Wraps one job's images calls so that each adds to the cluster-wide call metrics: outcome,
 * duration, filtered images, and whether it was a retry. It only watches: the call's result or
 * error passes through unchanged, and a metrics write that fails is logged, never thrown, so
 * Redis trouble in metrics can never fail (or repeat, and so re-bill) an image.
 */
export function meterCallImages(callImages: CallImages, jobId: string, deps: CallMeterDeps): CallImages {
  async function record(deployment: string, verdict: CallVerdict, durationMs: number): Promise<void> {
    try {
      const counters = await deps.jobState.read(jobId);
      await deps.metrics.record({ deployment, outcome: verdict.outcome, durationMs, filtered: verdict.filtered, isRetry: counters.calls > 1 });
    } catch (error) {
      deps.logger.warn({ err: error, jobId, deployment }, 'call metrics not recorded');
    }
  }
  return async (deployment, job, options) => {
    const startedAt = performance.now();
    let result: Awaited<ReturnType<CallImages>>;
    try {
      result = await callImages(deployment, job, options);
    } catch (error) {
      await record(deployment.name, callOutcome({ error }, job.variants.length), performance.now() - startedAt);
      throw error;
    }
    await record(deployment.name, callOutcome({ body: result.body }, job.variants.length), performance.now() - startedAt);
    return result;
  };
}
