import type { DeploymentConfig } from '../config/deployment-config.js';
import type { DeploymentLimiterState } from '../limiter/slot-limiter.js';
import { describeLifecycle } from '../models/lifecycle-of.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';

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
  /** The model's lifecycle: `GA, retires 2027-10-21`, `RETIRING 2026-12-16 (10 days): move to gpt-image-2`, `RETIRED …`. */
  readonly modelLifecycle: string;
}

export function deploymentStatus(deployment: DeploymentConfig, limiter: DeploymentLimiterState, nowMs: number, models: ModelCatalogue): DeploymentStatus {
  const model = models.find(deployment.model);
  const coolingMs = (limiter.cooldownUntil ?? 0) - nowMs;
  const state =
    limiter.pausedReason !== undefined
      ? `PAUSED: ${limiter.pausedReason} (resume: imgbatch deployments resume ${deployment.name})`
      : coolingMs > 0
        ? `cooling down ${Math.ceil(coolingMs / 1000)} s after a 429`
        : 'ok';
  return {
    name: deployment.name,
    model: deployment.model,
    priority: deployment.priority,
    configuredRatePerMinute: deployment.ratePerMinute,
    effectiveRatePerMinute: Math.round(deployment.ratePerMinute * limiter.rateFactor * 10) / 10,
    callsLastMinute: limiter.callsLastMinute,
    rateLimitedLastMinute: limiter.rateLimitedLastMinute,
    rateLimitedTotal: limiter.rateLimitedCount,
    state,
    modelLifecycle: model === undefined ? 'unknown model' : describeLifecycle(model, nowMs),
  };
}

/** A fixed-width table, one deployment per row. */
export function formatDeploymentTable(rows: readonly DeploymentStatus[]): string {
  const header = ['deployment', 'model', 'tier', 'rpm', 'effective', 'calls/min', '429s/min', '429s', 'state', 'model lifecycle'];
  const cells = rows.map((r) => [
    r.name,
    r.model,
    String(r.priority),
    String(r.configuredRatePerMinute),
    String(r.effectiveRatePerMinute),
    String(r.callsLastMinute),
    String(r.rateLimitedLastMinute),
    String(r.rateLimitedTotal),
    r.state,
    r.modelLifecycle,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}
