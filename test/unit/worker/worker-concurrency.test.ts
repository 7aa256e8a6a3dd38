import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../../../src/config/deployment-config.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { workerConcurrency as withCatalogue } from '../../../src/worker/worker-concurrency.js';

function workerConcurrency(setting: number | 'auto', deployments: readonly DeploymentConfig[]): number {
  return withCatalogue(setting, deployments, BUILT_IN_CATALOGUE);
}

function deployment(ratePerMinute: number, model = 'gpt-image-1-mini', expectedLatencyMs?: number): DeploymentConfig {
  return {
    name: `d${ratePerMinute}`,
    endpoint: 'https://example.invalid/',
    deployment: 'd',
    model,
    ...(expectedLatencyMs !== undefined && { expectedLatencyMs }),
    ratePerMinute,
    apiVersion: '2025-04-01-preview',
    auth: { kind: 'entra' },
    quotaUnit: 'request',
    priority: 1,
    pools: [],
  };
}

describe('worker concurrency', () => {
  it('keeps an explicit number as it is', () => {
    expect(workerConcurrency(4, [deployment(600)])).toBe(4);
  });

  it('auto: never fewer than 32 slots for small quotas', () => {
    expect(workerConcurrency('auto', [deployment(6)])).toBe(32);
  });

  it("auto: enough calls in flight to reach the summed quota at 60 s per gpt-image-1-mini call (Little's law, 20% spare)", () => {
    // 180 + 120 rpm = 5 calls/s; 5 × 60 s × 1.2 = 360.
    expect(workerConcurrency('auto', [deployment(180), deployment(120)])).toBe(360);
  });

  it("auto: a gpt-image-2 deployment needs calls in flight for its 172 s expected latency, not 60 s", () => {
    // 120 rpm = 2 calls/s × 172 s × 1.2 = 412.8 -> 413; the same quota of gpt-image-1-mini: 144.
    expect(workerConcurrency('auto', [deployment(120, 'gpt-image-2')])).toBe(413);
    expect(workerConcurrency('auto', [deployment(120)])).toBe(144);
  });

  it('auto: sums the deployments of different models, each at its own latency', () => {
    // 60 rpm of gpt-image-2 (1/s × 172 s) + 60 rpm of gpt-image-1-mini (1/s × 60 s) = 232 × 1.2 = 278.4 -> 279.
    expect(workerConcurrency('auto', [deployment(60, 'gpt-image-2'), deployment(60)])).toBe(279);
  });

  it("auto: a deployment's own expectedLatencyMs beats its model's", () => {
    // 120 rpm = 2/s × 30 s × 1.2 = 72.
    expect(workerConcurrency('auto', [deployment(120, 'gpt-image-2', 30_000)])).toBe(72);
  });

  it('auto: capped at 1000', () => {
    expect(workerConcurrency('auto', [deployment(6000)])).toBe(1000);
  });
});
