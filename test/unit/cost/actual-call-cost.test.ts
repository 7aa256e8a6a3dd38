import { describe, expect, it } from 'vitest';
import { actualCallCost } from '../../../src/cost/actual-call-cost.js';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { applyPriceOverrides } from '../../../src/cost/price-overrides.js';

// The Azure recording: gpt-image-1, n=2, 1024x1536 high.
const RECORDED_USAGE = { input_tokens: 22, input_tokens_details: { image_tokens: 0, text_tokens: 22 }, output_tokens: 12480, total_tokens: 12502 };
const RECORDED_CALL = { model: 'gpt-image-1', size: '1024x1536', quality: 'high', images: 2, promptChars: 88 };

describe('actualCallCost', () => {
  it('comes from usage when the answer has it: output tokens × output price + input tokens × input price, split over the images', () => {
    // 12480 × $40/1M + 22 × $5/1M = $0.4992 + $0.00011
    expect(actualCallCost(DEFAULT_PRICE_TABLE, RECORDED_CALL, { kind: 'answered', usage: RECORDED_USAGE })).toEqual({ usd: 0.49931, perImageUsd: 0.249655, source: 'usage' });
  });

  it("prices an edit's input image tokens at the image input price and its text tokens at the text price", () => {
    const usage = { input_tokens: 4374, input_tokens_details: { image_tokens: 4354, text_tokens: 20 }, output_tokens: 4160, total_tokens: 8534 };
    // 4160 × $40/1M + 20 × $5/1M + 4354 × $10/1M = $0.1664 + $0.0001 + $0.04354
    expect(actualCallCost(DEFAULT_PRICE_TABLE, { model: 'gpt-image-1', size: '1024x1024', quality: 'high', images: 1, promptChars: 80 }, { kind: 'answered', usage })).toEqual({
      usd: 0.21004,
      perImageUsd: 0.21004,
      source: 'usage',
    });
  });

  it('uses usage over the per-image list price (gpt-image-1-mini)', () => {
    const usage = { input_tokens: 10, output_tokens: 272 };
    // 272 × $8/1M + 10 × $2/1M = $0.002196, not the $0.005 list price.
    expect(actualCallCost(DEFAULT_PRICE_TABLE, { model: 'gpt-image-1-mini', size: '1024x1024', quality: 'low', images: 1, promptChars: 40 }, { kind: 'answered', usage })).toEqual({
      usd: 0.002196,
      perImageUsd: 0.002196,
      source: 'usage',
    });
  });

  it('is the expected (table) price when the answer has no usage (dall-e-3)', () => {
    expect(actualCallCost(DEFAULT_PRICE_TABLE, { model: 'dall-e-3', size: '1792x1024', quality: 'hd', images: 1, promptChars: 10 }, { kind: 'answered' })).toEqual({
      usd: 0.12,
      perImageUsd: 0.12,
      source: 'table',
    });
  });

  it('is the table price when usage is malformed or the model has no token prices', () => {
    expect(actualCallCost(DEFAULT_PRICE_TABLE, RECORDED_CALL, { kind: 'answered', usage: { output_tokens: 'many' } }).source).toBe('table');
    expect(actualCallCost(DEFAULT_PRICE_TABLE, { model: 'dall-e-3', size: '1024x1024', quality: 'standard', images: 1, promptChars: 1 }, { kind: 'answered', usage: RECORDED_USAGE })).toEqual({
      usd: 0.04,
      perImageUsd: 0.04,
      source: 'table',
    });
  });

  it('a prompt refused by the prompt filter costs nothing; an image refused by the output filter is billed as an image', () => {
    const call = { model: 'dall-e-3', size: '1024x1024', quality: 'standard', images: 1, promptChars: 1 };
    expect(actualCallCost(DEFAULT_PRICE_TABLE, call, { kind: 'filtered', stage: 'prompt' })).toEqual({ usd: 0, perImageUsd: 0, source: 'unbilled' });
    expect(actualCallCost(DEFAULT_PRICE_TABLE, call, { kind: 'filtered', stage: 'output' })).toEqual({ usd: 0.04, perImageUsd: 0.04, source: 'table' });
  });

  it('follows overridden token prices', () => {
    const table = applyPriceOverrides(DEFAULT_PRICE_TABLE, { models: { 'gpt-image-1': { imageOutputUsdPerMillionTokens: 20, textInputUsdPerMillionTokens: 0 } } }, 'test.yaml', BUILT_IN_CATALOGUE);
    expect(actualCallCost(table, RECORDED_CALL, { kind: 'answered', usage: RECORDED_USAGE })).toEqual({ usd: 0.2496, perImageUsd: 0.1248, source: 'usage' });
  });

  it('bills an edit\'s image input tokens at the image input price and its text at the text price', () => {
    const call = { model: 'gpt-image-2', size: '1024x1024', quality: 'low', images: 1, promptChars: 10 };
    const usage = { input_tokens: 1010, input_tokens_details: { image_tokens: 1000, text_tokens: 10 }, output_tokens: 196 };
    // 196 × $30/1M + 1000 × $8/1M + 10 × $5/1M
    expect(actualCallCost(DEFAULT_PRICE_TABLE, call, { kind: 'answered', usage })).toEqual({ usd: 0.01393, perImageUsd: 0.01393, source: 'usage' });
  });
});
