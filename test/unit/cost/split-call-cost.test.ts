import { describe, expect, it } from 'vitest';
import { splitCallCost } from '../../../src/cost/split-call-cost.js';

describe('splitCallCost', () => {
  it('gives each image an equal share in whole micro-dollars, and the whole as the sum of the shares', () => {
    expect(splitCallCost(0.1, 3)).toEqual({ usd: 0.099999, perImageUsd: 0.033333 });
    expect(splitCallCost(0.04, 1)).toEqual({ usd: 0.04, perImageUsd: 0.04 });
  });
});
