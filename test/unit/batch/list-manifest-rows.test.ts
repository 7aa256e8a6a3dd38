import { describe, expect, it } from 'vitest';
import type { ImageOutcome, OutcomeReason } from '../../../src/batch/image-outcome.js';
import { listManifestRows, type ManifestDeps, type ManifestRow } from '../../../src/batch/list-manifest-rows.js';
import type { ImageJobData } from '../../../src/job/image-job.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';

function record(requestId: string, variant: number, fields: Partial<ImageRecord> = {}): ImageRecord {
  return {
    key: `b/${requestId}-${variant}`,
    batchId: 'b',
    requestId,
    variant,
    status: 'stored',
    prompt: `A ${requestId}`,
    model: 'gpt-image-1-mini',
    size: '1024x1024',
    quality: 'medium',
    deployment: 'east',
    latencyMs: 812.4,
    attempts: 1,
    createdAt: '2026-01-01T00:00:00Z',
    ...fields,
  };
}

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

function deps(options: {
  records: ImageRecord[];
  jobIds: string[];
  outcomes: Array<[string, ImageOutcome]>;
  errors?: Record<string, string>;
  reasons?: Record<string, OutcomeReason>;
  jobs?: Record<string, ImageJobData>;
  costs?: Record<string, number>;
}): ManifestDeps {
  return {
    store: { listRecords: () => each(options.records) },
    batches: {
      jobIds: () => each([options.jobIds]),
      outcomes: () => each([options.outcomes]),
      errors: () => Promise.resolve(options.errors ?? {}),
      reasons: () => Promise.resolve(options.reasons ?? {}),
      imageCosts: (_batchId, keys) => Promise.resolve(new Map(keys.flatMap((key) => (options.costs?.[key] === undefined ? [] : [[key, options.costs[key]] as const])))),
    },
    jobData: (jobId) => Promise.resolve(options.jobs?.[jobId]),
  };
}

async function rows(d: ManifestDeps): Promise<ManifestRow[]> {
  const all: ManifestRow[] = [];
  for await (const row of listManifestRows(d, 'b')) all.push(row);
  return all;
}

describe('listManifestRows', () => {
  it('gives one row per image: records from the store, the rest from the registry with their outcome and error', async () => {
    const failedJob = { v: 1, batchId: 'b', requestId: 'lamp', variants: [0], prompt: 'A lamp', model: 'gpt-image-1-mini', size: '1024x1024', quality: 'medium', metadata: { sku: 'L-1' }, enqueuedAt: 0 } as const;
    const all = await rows(
      deps({
        records: [
          record('mug', 0, { location: '/out/b/mug-0.png', revisedPrompt: 'A red mug', metadata: { sku: 'M-1' } }),
          record('gore', 0, { status: 'filtered', filter: { stage: 'prompt', categories: ['violence'], code: 'content_policy_violation', message: 'blocked' } }),
        ],
        jobIds: ['b/mug/v0', 'b/gore/v0', 'b/lamp/v0', 'b/vase/v0', 'b/kite/v0'],
        outcomes: [
          ['b/mug-0', 'stored'],
          ['b/gore-0', 'filtered'],
          ['b/lamp-0', 'failed'],
          ['b/kite-0', 'stored'],
        ],
        errors: { 'b/lamp-0': 'HTTP 500 after 5 attempts' },
        reasons: { 'b/lamp-0': 'attempts_exhausted' },
        jobs: { 'b/lamp/v0': { ...failedJob, variants: [0] } },
      }),
    );
    expect(all.map((row) => [row.id, row.variant, row.status])).toEqual([
      ['mug', 0, 'stored'],
      ['gore', 0, 'filtered'],
      ['kite', 0, 'missing'],
      ['lamp', 0, 'failed'],
      ['vase', 0, 'pending'],
    ]);
    expect(all[0]).toMatchObject({ location: '/out/b/mug-0.png', revisedPrompt: 'A red mug', deployment: 'east', latencyMs: 812.4, attempts: 1, metadata: { sku: 'M-1' } });
    expect(all[1]?.error).toBe('content filter at the prompt stage (violence): blocked');
    expect(all[2]?.error).toMatch(/counted as stored but not in the store; imgbatch resume b makes it again/);
    expect(all[3]).toMatchObject({ prompt: 'A lamp', error: 'HTTP 500 after 5 attempts', reason: 'attempts_exhausted', metadata: { sku: 'L-1' } });
    expect(all[4]).toMatchObject({ prompt: undefined, error: undefined, reason: undefined, metadata: {} });
  });

  it('gives each row its cost: the record\'s, else the cost the registry settled (paid, not kept); skipped rows say why', async () => {
    const all = await rows(
      deps({
        records: [record('mug', 0, { costUsd: 0.011, costSource: 'table' }), record('old', 0)],
        jobIds: ['b/mug/v0', 'b/old/v0', 'b/lost/v0', 'b/late/v0'],
        outcomes: [
          ['b/mug-0', 'stored'],
          ['b/old-0', 'stored'],
          ['b/lost-0', 'failed'],
          ['b/late-0', 'skipped'],
        ],
        errors: { 'b/lost-0': 'generated but not kept: disk full', 'b/late-0': 'budget: $1.0000 spent …' },
        costs: { 'b/mug-0': 0.011, 'b/lost-0': 0.005 },
      }),
    );
    expect(all.map((row) => [row.id, row.status, row.costUsd])).toEqual([
      ['mug', 'stored', 0.011],
      ['old', 'stored', undefined],
      ['late', 'skipped', undefined],
      ['lost', 'failed', 0.005],
    ]);
    expect(all[2]?.error).toMatch(/^budget: /);
  });

  it('expands a job of several images into one row per image', async () => {
    const all = await rows(deps({ records: [record('pair', 1)], jobIds: ['b/pair/v0-1'], outcomes: [] }));
    expect(all.map((row) => [row.id, row.variant, row.status])).toEqual([
      ['pair', 1, 'stored'],
      ['pair', 0, 'pending'],
    ]);
  });
});
