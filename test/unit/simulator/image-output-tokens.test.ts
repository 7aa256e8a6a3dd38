import { describe, expect, it } from 'vitest';
import { imageOutputTokens } from '../../../src/simulator/image-output-tokens.js';

describe('imageOutputTokens', () => {
  it.each([
    ['1024x1024', 'low', 272],
    ['1024x1024', 'medium', 1056],
    ['1024x1024', 'high', 4160],
    ['1024x1536', 'high', 6240],
    ['1536x1024', 'high', 6240],
    ['1024x1536', 'low', 408],
    ['1536x1024', 'medium', 1584],
  ])('%s %s costs %i output tokens', (size, quality, tokens) => {
    expect(imageOutputTokens(size, quality)).toBe(tokens);
  });
});
