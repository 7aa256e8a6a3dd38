import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../src/worker/backoff.js';

const BASE_MS = 2_000;
const MAX_MS = 60_000;
const LOWEST = (): number => 0;
const HIGHEST = (): number => 1 - Number.EPSILON;

describe('backoffMs', () => {
  it.each([
    [1, 2_000],
    [2, 4_000],
    [3, 8_000],
    [4, 16_000],
    [5, 32_000],
    [6, 60_000],
    [7, 60_000],
    [50, 60_000],
    [10_000, 60_000],
  ])('attempt %i doubles from the base and is capped: at most %i ms', (attempt, ceilingMs) => {
    expect(backoffMs(attempt, BASE_MS, MAX_MS, HIGHEST)).toBe(ceilingMs);
    expect(backoffMs(attempt, BASE_MS, MAX_MS, LOWEST)).toBe(ceilingMs / 2);
  });

  it.each([[0], [-3]])('attempt %i waits like the first attempt', (attempt) => {
    expect(backoffMs(attempt, BASE_MS, MAX_MS, HIGHEST)).toBe(BASE_MS);
  });

  it('jitter stays within [50%, 100%] of the capped delay and grows with the random draw', () => {
    for (const attempt of [1, 3, 6, 12]) {
      const capped = Math.min(MAX_MS, BASE_MS * 2 ** (attempt - 1));
      let previous = -1;
      for (const draw of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999_999]) {
        const waitMs = backoffMs(attempt, BASE_MS, MAX_MS, () => draw);
        expect(waitMs).toBeGreaterThanOrEqual(capped / 2);
        expect(waitMs).toBeLessThanOrEqual(capped);
        expect(waitMs).toBeGreaterThanOrEqual(previous);
        previous = waitMs;
      }
    }
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffMs(1, 333, MAX_MS, () => 0.123))).toBe(true);
  });

  it('uses Math.random when no random source is given, still within bounds', () => {
    for (let i = 0; i < 100; i++) {
      const waitMs = backoffMs(3, BASE_MS, MAX_MS);
      expect(waitMs).toBeGreaterThanOrEqual(4_000);
      expect(waitMs).toBeLessThanOrEqual(8_000);
    }
  });
});
