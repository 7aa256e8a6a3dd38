import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';
import { expectedCallCost } from '../../../src/cost/expected-call-cost.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';
import { imageOutputTokens } from '../../../src/simulator/image-output-tokens.js';

describe('DEFAULT_PRICE_TABLE', () => {
  it('is dated and names its public sources, none a path only the project\'s authors have', () => {
    expect(DEFAULT_PRICE_TABLE.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(DEFAULT_PRICE_TABLE.source).toMatch(/OpenAI list prices/);
    expect(DEFAULT_PRICE_TABLE.source).toContain('https://developers.openai.com/api/docs/pricing');
    expect(DEFAULT_PRICE_TABLE.source).not.toMatch(/shared|reference/);
  });

  it.each([
    ['gpt-image-2', ['1024x1024', '1536x1024', '2048x2048', '3840x2160', '1280x720', 'auto']],
    ['gpt-image-2.5-flare', ['1024x1024', '2048x1152', 'auto']],
    ['gpt-image-2.5-sunburst', ['1024x1024', '3840x2160']],
  ])('prices every quality of %s at custom sizes too', (id, sizes) => {
    const model = BUILT_IN_CATALOGUE.find(id);
    for (const quality of model?.qualities ?? []) {
      for (const size of sizes) {
        const cost = expectedCallCost(DEFAULT_PRICE_TABLE, { model: id, size, quality, images: 1, promptChars: 0 });
        expect(cost.basis, `${id} ${quality} ${size}`).not.toBe('unpriced');
        expect(cost.usd, `${id} ${quality} ${size}`).toBeGreaterThan(0);
      }
    }
  });

  it.each([
    // OpenAI's per-image list prices at the three 1K sizes.
    ['gpt-image-2', 'low', '1024x1024', 0.006, 'per-image'],
    ['gpt-image-2', 'medium', '1536x1024', 0.041, 'per-image'],
    ['gpt-image-2', 'high', '1024x1536', 0.165, 'per-image'],
    ['gpt-image-2', 'high', '1024x1024', 0.211, 'per-image'],
    // Tokens elsewhere: 2048² high = 7,024 × 4 = 28,096 tokens × $30/1M.
    ['gpt-image-2', 'high', '2048x2048', 0.84288, 'tokens'],
    // 3840x2160 medium: ⌈1,756 × 8,294,400 / 1,048,576⌉ = ⌈13,890.2⌉ = 13,891 tokens × $30/1M.
    ['gpt-image-2', 'medium', '3840x2160', 0.41673, 'tokens'],
    // Below one megapixel, priced as 1024².
    ['gpt-image-2', 'low', '1280x720', 0.00588, 'tokens'],
    // auto: priced as the dearest listed size of the quality.
    ['gpt-image-2', 'auto', 'auto', 0.21072, 'tokens'],
    ['gpt-image-2.5-flare', 'medium', '1024x1024', 0.01317, 'tokens'],
    ['gpt-image-2.5-sunburst', 'max', '1024x1024', 0.21072, 'tokens'],
    ['gpt-image-2.5-sunburst', 'xhigh', '1024x1024', 0.09366, 'tokens'],
  ] as const)('%s %s %s is expected at $%s (%s)', (model, quality, size, usd, basis) => {
    expect(expectedCallCost(DEFAULT_PRICE_TABLE, { model, size, quality, images: 1, promptChars: 0 })).toMatchObject({ usd, basis });
  });

  it.each([['gpt-image-2'], ['gpt-image-2.5-flare'], ['gpt-image-2.5-sunburst']])('%s bills $5 text in, $8 image in and $30 image out per 1M tokens', (model) => {
    expect(DEFAULT_PRICE_TABLE.models[model]).toMatchObject({ textInputUsdPerMillionTokens: 5, imageInputUsdPerMillionTokens: 8, imageOutputUsdPerMillionTokens: 30 });
  });

  it('prices every size and quality of every model of listed sizes', () => {
    for (const model of BUILT_IN_CATALOGUE.models) {
      if (model.sizes.kind !== 'list') continue;
      for (const quality of model.qualities) {
        for (const size of model.sizes.sizes) {
          const cost = expectedCallCost(DEFAULT_PRICE_TABLE, { model: model.id, size, quality, images: 1, promptChars: 0 });
          expect(cost.basis, `${model.id} ${quality} ${size}`).not.toBe('unpriced');
          expect(cost.usd, `${model.id} ${quality} ${size}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it.each([
    ['dall-e-3', 'standard', '1024x1024', 0.04],
    ['dall-e-3', 'hd', '1024x1024', 0.08],
    ['dall-e-3', 'standard', '1792x1024', 0.08],
    ['dall-e-3', 'hd', '1024x1792', 0.12],
    ['gpt-image-1-mini', 'low', '1024x1024', 0.005],
    ['gpt-image-1-mini', 'low', '1536x1024', 0.006],
    ['gpt-image-1-mini', 'medium', '1024x1024', 0.011],
    ['gpt-image-1-mini', 'medium', '1024x1536', 0.015],
    ['gpt-image-1-mini', 'high', '1024x1024', 0.036],
    ['gpt-image-1-mini', 'high', '1536x1024', 0.052],
  ])('%s %s %s costs $%s per image (reference list price)', (model, quality, size, usd) => {
    expect(DEFAULT_PRICE_TABLE.models[model]?.perImageUsd?.[quality]?.[size]).toBe(usd);
  });

  it.each([
    ['gpt-image-1', 5, 40],
    ['gpt-image-1-mini', 2, 8],
    ['gpt-image-1.5', 5, 32],
  ])('%s bills $%s per 1M text input tokens and $%s per 1M image output tokens', (model, input, output) => {
    expect(DEFAULT_PRICE_TABLE.models[model]).toMatchObject({ textInputUsdPerMillionTokens: input, imageOutputUsdPerMillionTokens: output });
  });

  it('expects the reference token counts, non-square sizes 1.5 × the square (1024x1536 high = 6240)', () => {
    const tokens = DEFAULT_PRICE_TABLE.models['gpt-image-1']?.outputTokensPerImage;
    expect(tokens).toEqual({
      low: { '1024x1024': 272, '1024x1536': 408, '1536x1024': 408 },
      medium: { '1024x1024': 1056, '1024x1536': 1584, '1536x1024': 1584 },
      high: { '1024x1024': 4160, '1024x1536': 6240, '1536x1024': 6240 },
    });
  });

  it('expects the output tokens the simulator reports in `usage`, so simulated runs bill what was expected', () => {
    for (const model of ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5']) {
      const capabilities = BUILT_IN_CATALOGUE.find(model);
      for (const quality of capabilities?.qualities ?? []) {
        for (const size of capabilities?.sizes.kind === 'list' ? capabilities.sizes.sizes : []) {
          expect(DEFAULT_PRICE_TABLE.models[model]?.outputTokensPerImage?.[quality]?.[size], `${model} ${quality} ${size}`).toBe(imageOutputTokens(model, size, quality));
        }
      }
    }
  });
});
