import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from '../../../src/cost/default-price-table.js';
import { inputImageTokens } from '../../../src/cost/input-image-tokens.js';

const rule = DEFAULT_PRICE_TABLE.models['gpt-image-1']?.inputImageTokens;
if (rule === undefined) throw new Error('gpt-image-1 has no input image token rule');

describe('inputImageTokens (OpenAI: fit 2048, shorter side 512, 65 + 129 per 512 px tile; high fidelity +4160 square / +6240 other)', () => {
  it.each([
    // 1024² scales to 512²: one tile (users measured 194 image tokens for it).
    [1024, 1024, undefined, 194],
    [1024, 1024, 'low', 194],
    [1024, 1024, 'high', 194 + 4160],
    // 1920x1080 scales to 910x512: two tiles.
    [1920, 1080, 'low', 65 + 2 * 129],
    [1920, 1080, 'high', 65 + 2 * 129 + 6240],
    // 4096x8192 fits 1024x2048, then 512x1024: two tiles.
    [4096, 8192, undefined, 65 + 2 * 129],
    // A small image is not scaled up: one tile.
    [64, 64, undefined, 194],
    // Near-square (1024x1100 scales to 512x550: two tiles) pays the square surcharge at high fidelity.
    [1024, 1100, 'high', 65 + 2 * 129 + 4160],
  ] as const)('%i x %i at fidelity %s: %i tokens', (width, height, fidelity, tokens) => {
    expect(inputImageTokens(rule, width, height, fidelity)).toBe(tokens);
  });

  it('bills high fidelity by default for a model whose rule says so (one that always reads inputs at high fidelity)', () => {
    expect(inputImageTokens({ ...rule, defaultFidelity: 'high' }, 1024, 1024, undefined)).toBe(194 + 4160);
  });
});
