import { describe, expect, it } from 'vitest';
import { batchEtaMs } from '../../../src/batch/batch-eta-ms.js';

const START = 1_800_000_000_000;

describe('batchEtaMs', () => {
  it('gives the time left at the pace kept since the first enqueue', () => {
    // 25 of 100 images in 10 minutes: 75 more take 30 minutes.
    expect(batchEtaMs({ createdAt: START, endedAt: undefined, images: 100, pending: 75 }, START + 600_000)).toBe(1_800_000);
  });

  it('gives none for an ended batch, one with nothing finished yet, or a clock behind the batch', () => {
    expect(batchEtaMs({ createdAt: START, endedAt: START + 5_000, images: 4, pending: 0 }, START + 10_000)).toBeUndefined();
    expect(batchEtaMs({ createdAt: START, endedAt: undefined, images: 4, pending: 4 }, START + 10_000)).toBeUndefined();
    expect(batchEtaMs({ createdAt: START, endedAt: undefined, images: 4, pending: 2 }, START - 1)).toBeUndefined();
  });
});
