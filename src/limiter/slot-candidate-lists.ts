import { servesRequest, type DeploymentConfig } from '../config/deployment-config.js';
import type { SlotCandidate } from './slot-group.js';

/** A configured deployment as the limiter sees it. */
export function slotCandidateOf(deployment: Pick<DeploymentConfig, 'name' | 'ratePerMinute' | 'quotaUnit' | 'priority'>): SlotCandidate {
  return { name: deployment.name, ratePerMinute: deployment.ratePerMinute, quotaUnit: deployment.quotaUnit, priority: deployment.priority };
}

/**
 * Every list of candidates a job can be given by these deployments: one per model, and one per
 * pool of each model (the deployments `servesRequest` picks for a request naming the pool). A
 * worker registers them before its first slot (`SlotLimiter.prepare`).
 */
export function slotCandidateListsOf(deployments: readonly DeploymentConfig[]): SlotCandidate[][] {
  const wanted = new Map<string, { model: string; pool?: string }>();
  for (const d of deployments) {
    wanted.set(JSON.stringify([d.model]), { model: d.model });
    for (const pool of d.pools) wanted.set(JSON.stringify([d.model, pool]), { model: d.model, pool });
  }
  return [...wanted.values()].map((request) => deployments.filter((d) => servesRequest(d, request)).map(slotCandidateOf));
}
