import type { DeploymentConfig } from '../config/deployment-config.js';

/** The slowest calls Azure documents: "up to 60 seconds for complex prompts". */
const SLOW_CALL_SECONDS = 60;
const MIN_AUTO_CONCURRENCY = 32;
const MAX_AUTO_CONCURRENCY = 1000;

/**
 * Calls a worker process keeps in flight. `auto` applies Little's law: to start calls at the
 * summed quota while each takes up to 60 s, rate × latency calls must be open at once. Slots
 * are cheap: a job waiting for its limiter slot sits in the delayed set, not in a worker.
 */
export function workerConcurrency(setting: number | 'auto', deployments: readonly DeploymentConfig[]): number {
  if (setting !== 'auto') return setting;
  const callsPerSecond = deployments.reduce((sum, d) => sum + d.ratePerMinute / 60, 0);
  const needed = Math.ceil(callsPerSecond * SLOW_CALL_SECONDS * 1.2);
  return Math.min(MAX_AUTO_CONCURRENCY, Math.max(MIN_AUTO_CONCURRENCY, needed));
}

/**
 * With `auto`, the concurrency the observed latency needs: rate × latency × 1.5 (Little's law
 * with room for jobs sleeping towards their slot). Never below the starting value, so an
 * early run of fast calls cannot starve a later run of slow ones.
 */
export function concurrencyForLatency(current: number, deployments: readonly DeploymentConfig[], averageLatencyMs: number): number {
  const callsPerSecond = deployments.reduce((sum, d) => sum + d.ratePerMinute / 60, 0);
  const needed = Math.ceil(callsPerSecond * (averageLatencyMs / 1000) * 1.5);
  return Math.min(MAX_AUTO_CONCURRENCY, Math.max(current, needed));
}
