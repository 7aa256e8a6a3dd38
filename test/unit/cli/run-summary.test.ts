import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { buildRunSummary, formatRunSummary, type RunSummary } from '../../../src/cli/run-summary.js';

function batch(fields: Partial<Omit<BatchSummary, 'counts'>> & { counts?: Partial<BatchSummary['counts']> } = {}): BatchSummary {
  const { counts, ...rest } = fields;
  return {
    batchId: 'spring-sale',
    createdAt: 1_746_100_800_000,
    images: 10,
    jobs: 10,
    calls: 0,
    rateLimitedCalls: 0,
    pending: 0,
    costUsd: 0,
    possiblyBilledCostUsd: 0,
    inFlightCostUsd: 0,
    maxCostUsd: undefined,
    priority: 'normal',
    ...rest,
    counts: { stored: 10, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0, ...counts },
  };
}

function summarize(
  after: BatchSummary,
  options: { before?: BatchSummary; invalidRows?: number; wallMs?: number; pausedDeployments?: Array<{ name: string; reason: string }>; isInterrupted?: boolean } = {},
): RunSummary {
  return buildRunSummary({
    before: options.before,
    after,
    invalidRows: options.invalidRows ?? 0,
    wallMs: options.wallMs ?? 1_000,
    output: '/srv/output',
    redis: 'redis://127.0.0.1:6379',
    endpoint: 'simulator',
    ...(options.pausedDeployments !== undefined && { pausedDeployments: options.pausedDeployments }),
    ...(options.isInterrupted !== undefined && { isInterrupted: options.isInterrupted }),
  });
}

describe('buildRunSummary', () => {
  it.each([
    ['every image stored', batch(), 0, true],
    ['stored and filtered images', batch({ counts: { stored: 7, filtered: 3 } }), 0, true],
    ['a failed image', batch({ counts: { stored: 9, failed: 1 } }), 0, false],
    ['a rejected image', batch({ counts: { stored: 9, rejected: 1 } }), 0, false],
    ['a cancelled image', batch({ counts: { stored: 9, cancelled: 1 } }), 0, false],
    ['an image skipped for the budget', batch({ counts: { stored: 9, skipped: 1 } }), 0, false],
    ['an image still pending', batch({ counts: { stored: 9 }, pending: 1 }), 0, false],
    ['an invalid row', batch(), 1, false],
  ])('ok with %s: %s', (_, after, invalidRows, ok) => {
    expect(summarize(after, { invalidRows }).ok).toBe(ok);
  });

  it('counts images still pending apart from failed ones', () => {
    expect(summarize(batch({ counts: { stored: 6, failed: 1 }, pending: 3 }))).toMatchObject({ failed: 1, pending: 3, ok: false });
  });

  it('names each paused deployment with the command that resumes it', () => {
    expect(summarize(batch(), { pausedDeployments: [{ name: 'east', reason: 'auth (HTTP 401): bad key' }] }).pausedDeployments).toEqual([
      { name: 'east', reason: 'auth (HTTP 401): bad key', resumeCommand: 'imgbatch deployments resume east' },
    ]);
  });

  it('apiCalls and rateLimited are what this run added on top of the batch before it', () => {
    const summary = summarize(batch({ calls: 25, rateLimitedCalls: 7 }), { before: batch({ calls: 10, rateLimitedCalls: 2 }) });
    expect(summary).toMatchObject({ apiCalls: 15, rateLimited: 5 });
  });

  it('a batch seen for the first time counts all of its calls', () => {
    expect(summarize(batch({ calls: 12, rateLimitedCalls: 3 }))).toMatchObject({ apiCalls: 12, rateLimited: 3 });
  });

  it('copies the counts and where things are', () => {
    expect(summarize(batch({ images: 12, counts: { stored: 8, filtered: 2, failed: 1, rejected: 1 } }), { invalidRows: 2, wallMs: 12_345 })).toEqual({
      batchId: 'spring-sale',
      images: 12,
      stored: 8,
      filtered: 2,
      failed: 1,
      rejected: 1,
      cancelled: 0,
      skipped: 0,
      invalidRows: 2,
      apiCalls: 0,
      rateLimited: 0,
      costUsd: 0,
      batchCostUsd: 0,
      maxCostUsd: null,
      wallSeconds: 12.3,
      output: '/srv/output',
      redis: 'redis://127.0.0.1:6379',
      endpoint: 'simulator',
      pending: 0,
      pausedDeployments: [],
      interrupted: false,
      ok: false,
    });
  });
});

describe('formatRunSummary', () => {
  it('says every image was stored or filtered when it was', () => {
    expect(formatRunSummary(summarize(batch()))).toContain('result       every image stored or filtered');
  });

  it('when only rows were refused, says every accepted row\'s image was made and what was refused, claiming no failure', () => {
    const text = formatRunSummary(summarize(batch(), { invalidRows: 2 }));
    expect(text).toContain('result       every image of the accepted rows stored or filtered; 2 rows refused as invalid (the invalid: lines above), so their images were not made');
    expect(text).not.toMatch(/^result.*(fail|NOT)/m);
  });

  it('separates failed from pending, and says pending images wait behind the paused deployments it names', () => {
    const text = formatRunSummary(
      summarize(batch({ counts: { stored: 5, failed: 1 }, pending: 4 }), { invalidRows: 1, pausedDeployments: [{ name: 'east', reason: 'auth (HTTP 401): bad key' }] }),
    );
    expect(text).toContain('images       10: 5 stored, 0 filtered, 1 failed, 0 rejected, 4 pending');
    expect(text).toContain('paused       east: auth (HTTP 401): bad key; after fixing it: imgbatch deployments resume east');
    expect(text).toContain(
      'result       not every image was made: 1 image failed (errors above); 4 images still pending (queued behind paused deployments: resume them (see paused), then run again); 1 row refused as invalid (the invalid: lines above), so its images were not made',
    );
  });

  it('says an interrupted run left its pending images queued', () => {
    expect(formatRunSummary(summarize(batch({ counts: { stored: 7 }, pending: 3 }), { isInterrupted: true }))).toContain(
      'result       not every image was made: 3 images still pending (interrupted; they stay queued, run again to finish them)',
    );
  });

  it('shows the counts, calls and wall time', () => {
    const text = formatRunSummary(summarize(batch({ calls: 11, rateLimitedCalls: 1, counts: { stored: 9, filtered: 1 } }), { wallMs: 4_000 }));
    expect(text).toContain('10: 9 stored, 1 filtered, 0 failed, 0 rejected');
    expect(text).toContain('11 (1 answered 429)');
    expect(text).toContain('4.0 s');
  });

  it('cost is what this run added, beside the batch total and its budget', () => {
    const summary = summarize(batch({ costUsd: 0.3, maxCostUsd: 0.5 }), { before: batch({ costUsd: 0.1 }) });
    expect(summary).toMatchObject({ costUsd: 0.2, batchCostUsd: 0.3, maxCostUsd: 0.5 });
    expect(formatRunSummary(summary)).toContain('cost         $0.2000 this run; $0.3000 for the batch so far of its $0.5000 budget');
  });

  it('shows skipped images only when there are some', () => {
    expect(formatRunSummary(summarize(batch({ counts: { stored: 8, skipped: 2 } })))).toContain('10: 8 stored, 0 filtered, 0 failed, 0 rejected, 2 skipped (budget)');
    expect(formatRunSummary(summarize(batch()))).not.toContain('skipped');
  });

  it('shows cancelled images only when there are some', () => {
    expect(formatRunSummary(summarize(batch({ counts: { stored: 7, cancelled: 3 } })))).toContain('10: 7 stored, 0 filtered, 0 failed, 0 rejected, 3 cancelled');
    expect(formatRunSummary(summarize(batch()))).not.toContain('cancelled');
  });
});
