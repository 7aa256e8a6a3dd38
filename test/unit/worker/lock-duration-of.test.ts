import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { lockDurationOf, lockRenewTimeOf } from '../../../src/worker/lock-duration-of.js';

describe('lockDurationOf: how long a job lock lasts unless renewed', () => {
  it('is twice the expected latency of 60 s calls when not set: two minutes, so a call renews its lock about once', () => {
    expect(lockDurationOf({ lockDurationMs: undefined }, [{ model: 'gpt-image-1' }], BUILT_IN_CATALOGUE)).toBe(120_000);
  });

  it('follows the slowest deployment, and a deployment’s own expected latency', () => {
    const deployments = [{ model: 'gpt-image-1-mini' }, { model: 'gpt-image-1-mini', expectedLatencyMs: 25_000 }];
    expect(lockDurationOf({ lockDurationMs: undefined }, [deployments[1] ?? { model: '' }], BUILT_IN_CATALOGUE)).toBe(50_000);
    expect(lockDurationOf({ lockDurationMs: undefined }, deployments, BUILT_IN_CATALOGUE)).toBe(120_000);
  });

  it('stays between 30 s (fast calls) and 120 s (gpt-image-2 expects 172 s): a crashed worker’s jobs are not held longer', () => {
    expect(lockDurationOf({ lockDurationMs: undefined }, [{ model: 'gpt-image-1', expectedLatencyMs: 5_000 }], BUILT_IN_CATALOGUE)).toBe(30_000);
    expect(lockDurationOf({ lockDurationMs: undefined }, [{ model: 'gpt-image-2' }], BUILT_IN_CATALOGUE)).toBe(120_000);
  });

  it('is the configured lockDurationMs when one is set', () => {
    expect(lockDurationOf({ lockDurationMs: 30_000 }, [{ model: 'gpt-image-2' }], BUILT_IN_CATALOGUE)).toBe(30_000);
  });
});

describe('lockRenewTimeOf: how often BullMQ renews a lock', () => {
  it('renews a long lock with 30 s left, not at half: a 120 s lock every 90 s', () => {
    expect(lockRenewTimeOf(120_000)).toBe(90_000);
  });

  it('keeps half of a lock under a minute as the margin, like BullMQ (short test locks stay safe)', () => {
    expect(lockRenewTimeOf(30_000)).toBe(15_000);
    expect(lockRenewTimeOf(1_000)).toBe(500);
    expect(lockRenewTimeOf(60_000)).toBe(30_000);
  });
});
