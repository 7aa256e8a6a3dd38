import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOverlappingRuns, type RenewableRun } from '../../../src/worker/overlapping-runs.js';

const LOCK_MS = 1_000;
const RENEW_EVERY_MS = 500;

/** A run whose lock extensions are recorded; `holdsLock` says what Redis would answer. */
function fakeRun(jobId: string, token: string, holdsLock = true): RenewableRun & { readonly extensions: Array<{ token: string; ms: number }> } {
  const extensions: Array<{ token: string; ms: number }> = [];
  return {
    jobId,
    token,
    extensions,
    extendLock: (t, ms) => {
      extensions.push({ token: t, ms });
      return Promise.resolve(holdsLock ? 1 : 0);
    },
  };
}

describe('overlapping runs of one job in one process (BullMQ renews locks by job id)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves a job run alone in the process to BullMQ: its lock is never extended from here', async () => {
    const runs = createOverlappingRuns({ lockDurationMs: LOCK_MS, renewEveryMs: RENEW_EVERY_MS, onRenewalFailed: () => undefined });
    const run = fakeRun('b/a/v0', 'token-1');
    const end = runs.begin(run);
    await vi.advanceTimersByTimeAsync(10 * RENEW_EVERY_MS);
    end();
    await vi.advanceTimersByTimeAsync(10 * RENEW_EVERY_MS);
    expect(run.extensions).toEqual([]);
  });

  it('renews the newer run\'s lock with its own token once the older run ends: at once, then every renewal interval, until it ends', async () => {
    const runs = createOverlappingRuns({ lockDurationMs: LOCK_MS, renewEveryMs: RENEW_EVERY_MS, onRenewalFailed: () => undefined });
    const older = fakeRun('b/a/v0', 'token-of-the-lost-run', false);
    const newer = fakeRun('b/a/v0', 'token-of-the-run-that-took-over');
    const endOlder = runs.begin(older);
    const endNewer = runs.begin(newer);
    endOlder();
    expect(newer.extensions).toEqual([{ token: 'token-of-the-run-that-took-over', ms: LOCK_MS }]);
    await vi.advanceTimersByTimeAsync(3 * RENEW_EVERY_MS);
    expect(newer.extensions).toHaveLength(4);
    endNewer();
    await vi.advanceTimersByTimeAsync(3 * RENEW_EVERY_MS);
    expect(newer.extensions).toHaveLength(4);
    expect(older.extensions).toEqual([]);
  });

  it('stops renewing a run whose lock is not its own (the newer run ended first), and says so once', async () => {
    const failed: string[] = [];
    const runs = createOverlappingRuns({ lockDurationMs: LOCK_MS, renewEveryMs: RENEW_EVERY_MS, onRenewalFailed: (jobId) => failed.push(jobId) });
    const older = fakeRun('b/a/v0', 'token-of-the-lost-run', false);
    const newer = fakeRun('b/a/v0', 'token-of-the-run-that-took-over');
    const endOlder = runs.begin(older);
    runs.begin(newer)();
    await vi.advanceTimersByTimeAsync(5 * RENEW_EVERY_MS);
    expect(older.extensions).toHaveLength(1);
    expect(failed).toEqual(['b/a/v0']);
    endOlder();
  });

  it('keeps the runs of different jobs apart', async () => {
    const runs = createOverlappingRuns({ lockDurationMs: LOCK_MS, renewEveryMs: RENEW_EVERY_MS, onRenewalFailed: () => undefined });
    const a = fakeRun('b/a/v0', 'token-a');
    const b = fakeRun('b/b/v0', 'token-b');
    const endA = runs.begin(a);
    const endB = runs.begin(b);
    endA();
    await vi.advanceTimersByTimeAsync(3 * RENEW_EVERY_MS);
    endB();
    expect([...a.extensions, ...b.extensions]).toEqual([]);
  });
});
