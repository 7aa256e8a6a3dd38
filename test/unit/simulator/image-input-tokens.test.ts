import { describe, expect, it } from 'vitest';
import { imageInputTokens } from '../../../src/simulator/image-input-tokens.js';

describe('imageInputTokens', () => {
  it.each([
    // 1024² scaled to 512², one tile: 65 + 129.
    ['gpt-image-1.5', 1024, 1024, undefined, 194],
    ['gpt-image-1.5', 1024, 1024, 'low', 194],
    // High fidelity adds 4160 for a square input, 6240 for portrait or landscape.
    ['gpt-image-1.5', 1024, 1024, 'high', 4354],
    ['gpt-image-1.5', 1536, 1024, 'high', 65 + 2 * 129 + 6240],
    // gpt-image-2 takes no input_fidelity and reads every input at high fidelity.
    ['gpt-image-2', 1024, 1024, undefined, 4354],
    // A model the price table does not know: gpt-image-1's rule.
    ['gpt-image-9', 1024, 1024, undefined, 194],
  ])('%s %ix%i at fidelity %s reports %i tokens', (model, width, height, fidelity, tokens) => {
    expect(imageInputTokens(model, width, height, fidelity)).toBe(tokens);
  });
});
