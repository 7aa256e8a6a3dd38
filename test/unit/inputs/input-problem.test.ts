import { describe, expect, it } from 'vitest';
import { imageInputProblem, maskProblem, sizeProblem } from '../../../src/inputs/input-problem.js';
import type { InspectedImage } from '../../../src/inputs/inspect-image.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';

const LIMITS = BUILT_IN_CATALOGUE.find('gpt-image-1.5')?.edits ?? { maxInputImages: 16, maxInputBytes: 50_000_000, maxMaskBytes: 4_000_000, inputFidelities: [] };
const MB = 1_000_000;

function image(fields: Partial<InspectedImage>): InspectedImage {
  return { format: 'png', widthPx: 1024, heightPx: 1024, hasAlpha: false, sizeBytes: 2 * MB, ...fields };
}

describe('imageInputProblem', () => {
  it.each([['png'], ['jpeg']])('accepts a %s under 50 MB', (format) => {
    expect(imageInputProblem(image({ format }), LIMITS)).toBeUndefined();
  });

  it.each([
    [{ format: 'gif' }, 'is a GIF by its bytes, not PNG or JPEG'],
    [{ format: 'webp' }, 'is a WebP by its bytes, not PNG or JPEG'],
    [{ format: undefined }, 'is not an image (its bytes are no format imgbatch can read), not PNG or JPEG'],
    [{ sizeBytes: 51 * MB }, 'is 51 MB (51000000 bytes); it must be less than 50 MB'],
    [{ sizeBytes: 50 * MB }, 'is 50 MB (50000000 bytes); it must be less than 50 MB'],
  ])('%j: %s', (fields, reason) => {
    expect(imageInputProblem(image(fields), LIMITS)).toBe(reason);
  });
});

describe('maskProblem', () => {
  const first = { widthPx: 1024, heightPx: 1024 };

  it('accepts a PNG with alpha of the first image’s dimensions, under 4 MB', () => {
    expect(maskProblem(image({ hasAlpha: true, sizeBytes: MB }), first, LIMITS)).toBeUndefined();
  });

  it.each([
    [{ hasAlpha: true, format: 'jpeg' }, 'is a JPEG by its bytes; a mask must be a PNG'],
    [{ hasAlpha: false }, 'has no alpha channel; a mask marks the area to edit with fully transparent pixels'],
    [{ hasAlpha: true, widthPx: 512, heightPx: 512 }, "is 512x512; a mask must have the first input image's dimensions, 1024x1024"],
    [{ hasAlpha: true, sizeBytes: 4 * MB }, 'is 4 MB (4000000 bytes); it must be less than 4 MB'],
  ])('%j: %s', (fields, reason) => {
    expect(maskProblem(image(fields), first, LIMITS)).toBe(reason);
  });
});

describe('sizeProblem', () => {
  it('says the size in MB and bytes, and the limit', () => {
    expect(sizeProblem(1_500_000, 1_000_000)).toBe('is 1.5 MB (1500000 bytes); it must be less than 1 MB');
    expect(sizeProblem(999_999, 1_000_000)).toBeUndefined();
  });
});
