import type { Config } from '../config/config.js';
import type { DeploymentQuota } from '../cost/batch-estimate.js';
import { demoSimulatorOptions } from '../simulator/demo-simulator-options.js';
import { parseSimulatorOptions } from '../simulator/simulator-options.js';

/**
 * The deployments whose quotas an estimate assumes: the configured ones, or, when none is
 * configured, the embedded simulator's (what `imgbatch run` would use).
 */
export function estimateDeployments(config: Pick<Config, 'deployments' | 'usesSimulator' | 'models'>): { readonly deployments: readonly DeploymentQuota[]; readonly isSimulator: boolean } {
  if (!config.usesSimulator) return { deployments: config.deployments, isSimulator: false };
  const simulated = parseSimulatorOptions(demoSimulatorOptions(config.models, Date.now())).deployments;
  return { deployments: simulated.map((d) => ({ name: d.name, model: d.model, ratePerMinute: d.ratePerMinute, quotaUnit: 'request' as const })), isSimulator: true };
}
