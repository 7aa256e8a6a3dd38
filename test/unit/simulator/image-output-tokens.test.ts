import { describe, expect, it } from 'vitest';
import { imageOutputTokens } from '../../../src/simulator/image-output-tokens.js';

describe('imageOutputTokens', () => {
  it.each([
    ['gpt-image-1.5', '1024x1024', 'low', 272],
    ['gpt-image-1.5', '1024x1024', 'medium', 1056],
    // gpt-image-1-mini: what its per-image list price ($0.036) implies at $8 per 1M output tokens.
    ['gpt-image-1-mini', '1024x1024', 'high', 4500],
    ['gpt-image-1.5', '1024x1536', 'high', 6240],
    ['gpt-image-1.5', '1536x1024', 'high', 6240],
    ['gpt-image-1.5', '1024x1536', 'low', 408],
    ['gpt-image-1.5', '1536x1024', 'medium', 1584],
    // gpt-image-2: measured at 1024², OpenAI's per-image prices at 1536x1024, pixel scaling elsewhere.
    ['gpt-image-2', '1024x1024', 'low', 196],
    ['gpt-image-2', '1024x1024', 'medium', 1756],
    ['gpt-image-2', '1024x1024', 'high', 7024],
    ['gpt-image-2', '1536x1024', 'high', 5500],
    ['gpt-image-2', '2048x2048', 'high', 28_096],
    ['gpt-image-2', '1280x720', 'low', 196],
    ['gpt-image-2', 'auto', 'high', 7024],
    ['gpt-image-2.5-sunburst', '1024x1024', 'xhigh', 3122],
    ['gpt-image-2.5-flare', '1024x1024', 'max', 7024],
    // A model only a config knows: the gpt-image-1 figures.
    ['gpt-image-9', '1024x1024', 'ultra', 4160],
  ])('%s %s %s reports %i output tokens', (model, size, quality, tokens) => {
    expect(imageOutputTokens(model, size, quality)).toBe(tokens);
  });
});
