import type { WorkerSettings } from '../config/config.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';

/** Used for a deployment whose model the catalogue lacks (its jobs are refused before any call anyway). */
const FALLBACK_TIMEOUT_MS = 300_000;

/** A deployment's call timeout and the setting it comes from, so an error can say what to change. */
export interface CallTimeout {
  readonly ms: number;
  /** e.g. `deployments[].timeoutMs of east`, `worker.timeoutMs`, `models.gpt-image-2.timeoutMs`. */
  readonly setting: string;
}

/**
 * How long one call to this deployment may take: the deployment's own `timeoutMs`, else the
 * worker-wide `timeoutMs` (IMGBATCH_TIMEOUT_MS) when one is set, else its model's (built in
 * from measured latencies, or the config file's `models:`).
 */
export function callTimeoutOf(
  deployment: Pick<DeploymentConfig, 'name' | 'model' | 'timeoutMs'>,
  models: ModelCatalogue,
  settings: Pick<WorkerSettings, 'timeoutMs'>,
): CallTimeout {
  if (deployment.timeoutMs !== undefined) return { ms: deployment.timeoutMs, setting: `deployments[].timeoutMs of ${deployment.name}` };
  if (settings.timeoutMs !== undefined) return { ms: settings.timeoutMs, setting: 'worker.timeoutMs (IMGBATCH_TIMEOUT_MS)' };
  const model = models.find(deployment.model);
  return { ms: model?.timeoutMs ?? FALLBACK_TIMEOUT_MS, setting: `models.${deployment.model}.timeoutMs` };
}

/** How long a call to this deployment typically takes, ms: the deployment's `expectedLatencyMs`, else its model's. */
export function expectedLatencyOf(deployment: Pick<DeploymentConfig, 'model' | 'expectedLatencyMs'>, models: ModelCatalogue): number {
  return deployment.expectedLatencyMs ?? models.find(deployment.model)?.expectedLatencyMs ?? 60_000;
}
