import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../../../src/config/deployment-config.js';
import { workerConcurrency } from '../../../src/worker/worker-concurrency.js';

function deployment(ratePerMinute: number): DeploymentConfig {
  return {
    name: `d${ratePerMinute}`,
    endpoint: 'https://example.invalid/',
    deployment: 'd',
    model: 'gpt-image-1-mini',
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

  it("auto: enough calls in flight to reach the summed quota at 60 s per call (Little's law, 20% spare)", () => {
    // 180 + 120 rpm = 5 calls/s; 5 × 60 s × 1.2 = 360.
    expect(workerConcurrency('auto', [deployment(180), deployment(120)])).toBe(360);
  });

  it('auto: capped at 1000', () => {
    expect(workerConcurrency('auto', [deployment(6000)])).toBe(1000);
  });
});
