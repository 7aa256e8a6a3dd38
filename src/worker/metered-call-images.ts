import type { Logger } from '../log/logger.js';
import type { CallMetrics } from '../metrics/call-metrics.js';
import { callOutcome, type CallVerdict } from '../metrics/call-outcome.js';
import type { CallImages } from './process-image-job.js';

export interface CallMeterDeps {
  readonly metrics: CallMetrics;
  readonly logger: Logger;
}

/**
 * Wraps the images calls so that each adds to the cluster-wide call metrics (outcome,
 * duration, filtered images, whether it was a retry). It only watches: the call's result or error passes through unchanged, and a metrics write that fails is logged, never thrown, so
 * Redis trouble in metrics can never fail (or repeat, and so re-bill) an image.
 */
export function meterCallImages(callImages: CallImages, deps: CallMeterDeps): CallImages {
  async function record(deployment: string, verdict: CallVerdict, durationMs: number, callNumber: number): Promise<void> {
    try {
      // The processor numbers a job's calls before sending them: any after the first repeats it.
      await deps.metrics.record({ deployment, outcome: verdict.outcome, durationMs, filtered: verdict.filtered, isRetry: callNumber > 1 });
    } catch (error) {
      deps.logger.warn({ err: error, deployment }, 'call metrics not recorded');
    }
  }
  return async (deployment, job, options) => {
    const startedAt = performance.now();
    let result: Awaited<ReturnType<CallImages>>;
    try {
      result = await callImages(deployment, job, options);
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      await record(deployment.name, callOutcome({ error }, job.variants.length), durationMs, options.callNumber);
      throw error;
    }
    const durationMs = performance.now() - startedAt;
    await record(deployment.name, callOutcome({ body: result.body }, job.variants.length), durationMs, options.callNumber);
    return result;
  };
}
