import { describe, expect, it } from 'vitest';
import { progressBar } from '../../../src/cli/progress-bar.js';

describe('progressBar', () => {
  it('clamps the bar to its width', () => {
    expect(progressBar(-1, 4)).toBe('[░░░░]');
    expect(progressBar(0.5, 4)).toBe('[██░░]');
    expect(progressBar(2, 4)).toBe('[████]');
    expect(progressBar(Number.NaN, 4)).toBe('[░░░░]');
  });
});
