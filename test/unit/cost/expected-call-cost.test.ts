import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';
import { expectedCallCost } from '../../../src/cost/expected-call-cost.js';
import type { PriceTable } from '../../../src/cost/price-table.js';

const call = { size: '1024x1024', quality: 'high', images: 1, promptChars: 0 };

describe('expectedCallCost', () => {
  it('uses the per-image list price where the table has one, times the images of the call', () => {
    expect(expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'dall-e-3', quality: 'hd' })).toEqual({ usd: 0.08, perImageUsd: 0.08, basis: 'per-image' });
    expect(expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-1-mini', quality: 'low', images: 3 })).toEqual({ usd: 0.015, perImageUsd: 0.005, basis: 'per-image' });
  });

  it('else expected output tokens × the output price, plus ~1 input token per 4 prompt characters', () => {
    // gpt-image-1 high 1024²: 4160 tokens × $40/1M = $0.1664; a 40-char prompt = 10 tokens × $5/1M = $0.00005.
    expect(expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-1', promptChars: 40 })).toEqual({ usd: 0.16645, perImageUsd: 0.16645, basis: 'tokens' });
    // gpt-image-1.5 low 1536x1024, 2 images: 2 × 408 × $32/1M = $0.026112, prompt 1 token: $0.000005.
    const two = expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-1.5', quality: 'low', size: '1536x1024', images: 2, promptChars: 3 });
    expect(two).toEqual({ usd: 0.026118, perImageUsd: 0.013059, basis: 'tokens' });
  });

  it("adds an edit's input images: their expected image tokens × the image input price, once per call", () => {
    // gpt-image-1 high 1024²: $0.1664 output; two 1024² inputs at high fidelity: 2 × 4354 tokens × $10/1M = $0.08708.
    const edit = expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-1', inputImages: [{ widthPx: 1024, heightPx: 1024 }, { widthPx: 1024, heightPx: 1024 }], inputFidelity: 'high' });
    expect(edit).toEqual({ usd: 0.25348, perImageUsd: 0.25348, basis: 'tokens' });
    // gpt-image-1-mini low, per-image price $0.005 × 2 images, plus one 1024² input at low fidelity: 194 × $2.50/1M.
    const mini = expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-1-mini', quality: 'low', images: 2, inputImages: [{ widthPx: 1024, heightPx: 1024 }] });
    expect(mini).toEqual({ usd: 0.010486, perImageUsd: 0.005243, basis: 'per-image' });
  });

  it('is 0 and says unpriced for a model the table does not know', () => {
    expect(expectedCallCost(DEFAULT_PRICE_TABLE, { ...call, model: 'gpt-image-9' })).toEqual({ usd: 0, perImageUsd: 0, basis: 'unpriced' });
    const noTokens: PriceTable = { takenOn: '2026-01-01', source: 'test', models: { 'gpt-image-1': { imageOutputUsdPerMillionTokens: 40 } } };
    expect(expectedCallCost(noTokens, { ...call, model: 'gpt-image-1' }).basis).toBe('unpriced');
  });
});
