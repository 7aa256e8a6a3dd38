import type { Config } from '../config/config.js';
import type { DeploymentQuota } from '../cost/batch-estimate.js';
import { DEMO_SIMULATOR_OPTIONS } from '../simulator/demo-simulator-options.js';
import { parseSimulatorOptions } from '../simulator/simulator-options.js';

/**
 * The deployments whose quotas an estimate assumes: the configured ones, or, when none is
 * configured, the embedded simulator's (what `imgbatch run` would use).
 */
export function estimateDeployments(config: Pick<Config, 'deployments' | 'usesSimulator'>): { readonly deployments: readonly DeploymentQuota[]; readonly isSimulator: boolean } {
  if (!config.usesSimulator) return { deployments: config.deployments, isSimulator: false };
  const simulated = parseSimulatorOptions(DEMO_SIMULATOR_OPTIONS).deployments;
  return { deployments: simulated.map((d) => ({ name: d.name, model: d.model, ratePerMinute: d.ratePerMinute, quotaUnit: 'request' as const })), isSimulator: true };
}
