import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { expectedLatencyOf } from './call-timeout.js';

const MIN_AUTO_CONCURRENCY = 32;
const MAX_AUTO_CONCURRENCY = 1000;

type Deployment = Pick<DeploymentConfig, 'ratePerMinute' | 'model' | 'expectedLatencyMs'>;

/**
 * Calls a worker process keeps in flight. `auto` applies Little's law per deployment: to start
 * calls at each deployment's quota while each call takes its model's expected latency (the
 * deployment's `expectedLatencyMs`, else the model's: gpt-image-2 171 s, the gpt-image-1 series
 * 60 s), rate × latency calls must be open at once; summed, with 20% spare. Slots are cheap: a
 * job waiting for its limiter slot sits in the delayed set, not in a worker.
 */
export function workerConcurrency(setting: number | 'auto', deployments: readonly Deployment[], models: ModelCatalogue): number {
  if (setting !== 'auto') return setting;
  const inFlight = deployments.reduce((sum, d) => sum + (d.ratePerMinute / 60) * (expectedLatencyOf(d, models) / 1000), 0);
  const needed = Math.ceil(inFlight * 1.2);
  return Math.min(MAX_AUTO_CONCURRENCY, Math.max(MIN_AUTO_CONCURRENCY, needed));
}

/**
 * With `auto`, the concurrency the observed latency needs: rate × latency × 1.5 (Little's law
 * with room for jobs sleeping towards their slot). Never below the starting value, so an
 * early run of fast calls cannot starve a later run of slow ones.
 */
export function concurrencyForLatency(current: number, deployments: readonly Pick<DeploymentConfig, 'ratePerMinute'>[], averageLatencyMs: number): number {
  const callsPerSecond = deployments.reduce((sum, d) => sum + d.ratePerMinute / 60, 0);
  const needed = Math.ceil(callsPerSecond * (averageLatencyMs / 1000) * 1.5);
  return Math.min(MAX_AUTO_CONCURRENCY, Math.max(current, needed));
}
