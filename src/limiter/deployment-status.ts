import type { DeploymentConfig } from '../config/deployment-config.js';
import { describeLifecycle } from '../models/lifecycle-of.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import type { CallMinute, DeploymentLimiterState } from './slot-limiter.js';

/** Whether workers may call a deployment now, and if not why: what code acts on, beside `state`'s text. */
export type DeploymentCondition =
  | { readonly kind: 'running' }
  | { readonly kind: 'paused'; readonly reason: string }
  | { readonly kind: 'cooling_down'; readonly remainingMs: number };

/** One configured deployment as `imgbatch status`, `imgbatch deployments` and the dashboard show it. */
export interface DeploymentStatus {
  readonly name: string;
  readonly model: string;
  readonly priority: number;
  readonly configuredRatePerMinute: number;
  readonly effectiveRatePerMinute: number;
  readonly callsLastMinute: number;
  readonly rateLimitedLastMinute: number;
  readonly rateLimitedTotal: number;
  /** `ok`, `cooling down 12 s`, or `PAUSED: <reason>`. */
  readonly state: string;
  readonly condition: DeploymentCondition;
  /** Calls that came back per minute of the last hour that had any, oldest first. */
  readonly callMinutes: readonly CallMinute[];
  /** The model's lifecycle: `GA, retires 2027-10-21`, `RETIRING 2026-12-16 (10 days): move to gpt-image-2`, `RETIRED …`. */
  readonly modelLifecycle: string;
}

function conditionOf(limiter: DeploymentLimiterState, nowMs: number): DeploymentCondition {
  if (limiter.pausedReason !== undefined) return { kind: 'paused', reason: limiter.pausedReason };
  const coolingMs = (limiter.cooldownUntil ?? 0) - nowMs;
  return coolingMs > 0 ? { kind: 'cooling_down', remainingMs: coolingMs } : { kind: 'running' };
}

function stateText(deployment: string, condition: DeploymentCondition): string {
  switch (condition.kind) {
    case 'paused':
      return `PAUSED: ${condition.reason} (resume: imgbatch deployments resume ${deployment})`;
    case 'cooling_down':
      return `cooling down ${Math.ceil(condition.remainingMs / 1000)} s after a 429`;
    case 'running':
      return 'ok';
  }
}

export function deploymentStatus(deployment: DeploymentConfig, limiter: DeploymentLimiterState, nowMs: number, models: ModelCatalogue): DeploymentStatus {
  const model = models.find(deployment.model);
  const condition = conditionOf(limiter, nowMs);
  return {
    name: deployment.name,
    model: deployment.model,
    priority: deployment.priority,
    configuredRatePerMinute: deployment.ratePerMinute,
    effectiveRatePerMinute: Math.round(deployment.ratePerMinute * limiter.rateFactor * 10) / 10,
    callsLastMinute: limiter.callsLastMinute,
    rateLimitedLastMinute: limiter.rateLimitedLastMinute,
    rateLimitedTotal: limiter.rateLimitedCount,
    state: stateText(deployment.name, condition),
    condition,
    callMinutes: limiter.callMinutes,
    modelLifecycle: model === undefined ? 'unknown model' : describeLifecycle(model, nowMs),
  };
}
