import { describe, expect, it } from 'vitest';
import { createBatchEstimator, type DeploymentQuota } from '../../../src/cost/batch-estimate.js';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';

function job(model: string, fields: { size?: string; quality?: string; prompt?: string; variants?: number[] } = {}): { model: string; size: string; quality: string; prompt: string; variants: number[] } {
  return { model, size: fields.size ?? '1024x1024', quality: fields.quality ?? 'standard', prompt: fields.prompt ?? 'x', variants: fields.variants ?? [0] };
}

const DEPLOYMENTS: DeploymentQuota[] = [
  { name: 'east', model: 'dall-e-3', ratePerMinute: 6, quotaUnit: 'request' },
  { name: 'west', model: 'dall-e-3', ratePerMinute: 6, quotaUnit: 'request' },
  { name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 12, quotaUnit: 'image' },
];

describe('createBatchEstimator', () => {
  it('adds up images, calls and expected cost by model, most expensive first', () => {
    const estimator = createBatchEstimator({ prices: DEFAULT_PRICE_TABLE, deployments: DEPLOYMENTS });
    for (let i = 0; i < 3; i++) estimator.add(job('dall-e-3', { quality: 'hd' }));
    estimator.add(job('gpt-image-1-mini', { quality: 'low', variants: [0, 1] }));
    const estimate = estimator.result();
    expect(estimate).toMatchObject({ images: 5, calls: 4, expectedCostUsd: 0.25 });
    expect(estimate.models.map((m) => [m.model, m.images, m.calls, m.expectedCostUsd, m.bases])).toEqual([
      ['dall-e-3', 3, 3, 0.24, ['per-image']],
      ['gpt-image-1-mini', 2, 1, 0.01, ['per-image']],
    ]);
  });

  it("counts an edit job's input images: their expected image tokens at the image input price", () => {
    const estimator = createBatchEstimator({ prices: DEFAULT_PRICE_TABLE, deployments: DEPLOYMENTS });
    const ref = { source: `store:b/inputs/${'a'.repeat(64)}.png`, sha256: 'a'.repeat(64) };
    // gpt-image-1 low 1024²: 272 × $40/1M = $0.01088 (+ 1 prompt token: $0.000005).
    estimator.add(job('gpt-image-1', { quality: 'low' }));
    // The same, plus one 1024² input at high fidelity (194 + 4160 tokens × $10/1M = $0.04354), and one of unknown size counted as 1024² at low (194 × $10/1M).
    estimator.add({ ...job('gpt-image-1', { quality: 'low' }), edit: { images: [{ ...ref, widthPx: 1024, heightPx: 1024 }, ref], inputFidelity: 'high' } });
    estimator.add({ ...job('gpt-image-1', { quality: 'low' }), edit: { images: [ref] } });
    expect(estimator.result().expectedCostUsd).toBeCloseTo(3 * 0.010885 + 2 * 0.04354 + 0.00194, 6);
  });

  it('expects each model\'s calls at the summed quota of the deployments serving it; models run side by side', () => {
    const estimator = createBatchEstimator({ prices: DEFAULT_PRICE_TABLE, deployments: DEPLOYMENTS });
    for (let i = 0; i < 24; i++) estimator.add(job('dall-e-3'));
    // A quota counted in images allows 12 / 2 = 6 calls a minute of 2 images each.
    for (let i = 0; i < 3; i++) estimator.add(job('gpt-image-1-mini', { quality: 'low', variants: [0, 1] }));
    const estimate = estimator.result();
    const byModel = Object.fromEntries(estimate.models.map((m) => [m.model, m]));
    expect(byModel['dall-e-3']).toMatchObject({ deployments: ['east', 'west'], callsPerMinute: 12, expectedDurationSeconds: 120 });
    expect(byModel['gpt-image-1-mini']).toMatchObject({ deployments: ['mini'], callsPerMinute: 6, expectedDurationSeconds: 30 });
    expect(estimate.expectedDurationSeconds).toBe(120);
  });

  it('leaves the duration unknown when no deployment serves a model, and counts unpriced images as $0', () => {
    const estimator = createBatchEstimator({ prices: { takenOn: '2026-01-01', source: 'test', models: {} }, deployments: DEPLOYMENTS });
    estimator.add(job('gpt-image-1.5', { quality: 'high' }));
    const estimate = estimator.result();
    expect(estimate.expectedDurationSeconds).toBeNull();
    expect(estimate.models[0]).toMatchObject({ model: 'gpt-image-1.5', deployments: [], callsPerMinute: 0, expectedDurationSeconds: null, expectedCostUsd: 0, unpricedImages: 1, bases: ['unpriced'] });
    expect(estimate.prices).toEqual({ takenOn: '2026-01-01', source: 'test' });
  });

  it('an empty batch costs nothing and takes no time', () => {
    expect(createBatchEstimator({ prices: DEFAULT_PRICE_TABLE, deployments: [] }).result()).toMatchObject({ images: 0, calls: 0, expectedCostUsd: 0, expectedDurationSeconds: 0, models: [] });
  });
});
