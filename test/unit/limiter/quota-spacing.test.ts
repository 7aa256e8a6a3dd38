import { describe, expect, it } from 'vitest';
import { quotaSpacingMs } from '../../../src/limiter/quota-spacing.js';

/** Most calls, spaced evenly at `spacingMs`, that one 10 s window (open at its start, as Azure's sliding log) holds. */
function mostCallsInTenSeconds(spacingMs: number): number {
  return Math.ceil(10_000 / spacingMs);
}

/** The limiter's default headroom. */
const HEADROOM = 1.02;

describe('quotaSpacingMs: calls spaced so that no 10 s window takes more than floor(rpm / 6)', () => {
  it.each([
    { rpm: 600, spacingMs: 100 },
    { rpm: 150, spacingMs: 400 },
    { rpm: 60, spacingMs: 1_000 },
    { rpm: 6, spacingMs: 10_000 },
  ])('a multiple of 6 ($rpm rpm) is spaced at 60 000 / rpm: $spacingMs ms', ({ rpm, spacingMs }) => {
    expect(quotaSpacingMs(rpm)).toBe(spacingMs);
  });

  it.each([
    { rpm: 40, perWindow: 6 },
    { rpm: 100, perWindow: 16 },
    { rpm: 13, perWindow: 2 },
    { rpm: 179, perWindow: 29 },
  ])('$rpm rpm is spaced as the multiple of 6 below it: $perWindow calls per 10 s window', ({ rpm, perWindow }) => {
    const spacing = quotaSpacingMs(rpm);
    expect(spacing).toBeCloseTo(10_000 / perWindow, 6);
    expect(mostCallsInTenSeconds(spacing * HEADROOM)).toBeLessThanOrEqual(perWindow);
    // Spaced by the minute alone, some window would take one call too many.
    expect(mostCallsInTenSeconds((60_000 / rpm) * HEADROOM)).toBe(perWindow + 1);
  });

  it('below 6 rpm a window holds one call and the per-minute spacing already covers it', () => {
    expect(quotaSpacingMs(3)).toBe(20_000);
    expect(quotaSpacingMs(1)).toBe(60_000);
  });
});
