import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../../../src/config/deployment-config.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { admissionAllowance, admissionStep, BYTES_PER_CALL_IN_FLIGHT, concurrencyCeiling, concurrencyNow, nextConcurrency, workerConcurrency as withCatalogue } from '../../../src/worker/worker-concurrency.js';

const GIB = 2 ** 30;
/** A process with Node's default heap on a large machine (about 4 GiB) and a generous open-files limit. */
const LARGE_PROCESS = concurrencyCeiling({ heapLimitBytes: 4 * GIB, openFilesLimit: 65_536 });

function workerConcurrency(setting: number | 'auto', deployments: readonly DeploymentConfig[], ceiling = LARGE_PROCESS): number {
  return withCatalogue(setting, deployments, BUILT_IN_CATALOGUE, ceiling);
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

  it("auto: 4,800 calls in flight for 2,400 rpm of 120 s calls (Little's law), no fixed ceiling below it", () => {
    // 16 × 150 rpm = 40 calls/s × 120 s × 1.2 = 5,760.
    const deployments = Array.from({ length: 16 }, () => deployment(150, 'gpt-image-2', 120_000));
    expect(workerConcurrency('auto', deployments)).toBe(5_760);
  });

  it('auto: bounded by half the heap at the per-call allowance, and by the open-files limit', () => {
    // 2 GiB heap: 1 GiB for calls / 256 KiB = 4,096.
    expect(concurrencyCeiling({ heapLimitBytes: 2 * GIB, openFilesLimit: undefined })).toBe(GIB / BYTES_PER_CALL_IN_FLIGHT);
    expect(concurrencyCeiling({ heapLimitBytes: 2 * GIB, openFilesLimit: 1_024 })).toBe(1_024 - 256);
    // A tiny process still keeps the 32 minimum.
    expect(concurrencyCeiling({ heapLimitBytes: 1 * 2 ** 20, openFilesLimit: 64 })).toBe(32);
    expect(workerConcurrency('auto', [deployment(6000)], concurrencyCeiling({ heapLimitBytes: 2 * GIB, openFilesLimit: 1_024 }))).toBe(768);
  });

  it('auto takes a backlog in twice maxSleepMs of the summed quota at a time, at least 32', () => {
    // 16 × 150 rpm = 40 calls/s × 2 × 2 s = 160; with maxSleepMs 5 s: × 10 s = 400.
    const deployments = Array.from({ length: 16 }, () => ({ ratePerMinute: 150 }));
    expect(admissionAllowance(deployments, 2_000)).toBe(160);
    expect(admissionAllowance(deployments, 500)).toBe(80);
    expect(admissionAllowance(deployments, 5_000)).toBe(400);
    expect(admissionAllowance([{ ratePerMinute: 6 }], 2_000)).toBe(32);
    // Plus the jobs waiting in line in the process: 10 s more of quota, 400.
    expect(admissionAllowance(deployments, 2_000, 10_000)).toBe(560);
  });

  it('auto climbs with the calls underway, up to what memory allows, and back down as they end', () => {
    // A backlog of thousands starts with the allowance, not with thousands.
    expect(concurrencyNow(8_192, 0, 160)).toBe(160);
    // 40 calls/s of 120 s calls: 4,800 underway, whatever latency the model was expected to have.
    expect(concurrencyNow(8_192, 4_800, 160)).toBe(4_960);
    expect(concurrencyNow(4_096, 4_800, 160)).toBe(4_096);
    expect(concurrencyNow(8_192, 40, 160)).toBe(200);
  });

  it('auto opens its allowance a step beyond the jobs the processor holds, and follows calls and falls back at once', () => {
    // An allowance of 560 opened from nothing, 40 jobs a step: BullMQ fetches 40 and no more
    // until the processor has them.
    expect(nextConcurrency(0, 560, 40, 0)).toBe(40);
    expect(nextConcurrency(40, 560, 40, 0)).toBe(40);
    expect(nextConcurrency(40, 560, 40, 40)).toBe(80);
    expect(nextConcurrency(530, 560, 40, 530)).toBe(560);
    // Calls starting raise the target by tens a tick: taken whole.
    expect(nextConcurrency(560, 571, 40, 560)).toBe(571);
    expect(nextConcurrency(600, 420, 40, 600)).toBe(420);
  });

  it('auto steps by twice the quota of a tick, at least one job per deployment and 32', () => {
    // 16 × 150 rpm = 40 calls/s: 10 a 250 ms tick, twice that 20; at least 32.
    expect(admissionStep(Array.from({ length: 16 }, () => ({ ratePerMinute: 150 })), 250)).toBe(32);
    // 64 deployments: every one's first call at once.
    expect(admissionStep(Array.from({ length: 64 }, () => ({ ratePerMinute: 40 })), 250)).toBe(64);
    // 100 × 600 rpm = 1,000 calls/s: 500 a tick.
    expect(admissionStep(Array.from({ length: 100 }, () => ({ ratePerMinute: 600 })), 250)).toBe(500);
  });
});

