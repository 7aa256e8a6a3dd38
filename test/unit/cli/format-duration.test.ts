import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/cli/format-duration.js';

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 m 05 s');
    expect(formatDuration(7_620_000)).toBe('2 h 07 m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
