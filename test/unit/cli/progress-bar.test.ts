import { describe, expect, it } from 'vitest';
import { progressBar, withProgressBar } from '../../../src/cli/progress-bar.js';

describe('progressBar', () => {
  it('clamps the bar to its width', () => {
    expect(progressBar(-1, 4)).toBe('[░░░░]');
    expect(progressBar(0.5, 4)).toBe('[██░░]');
    expect(progressBar(2, 4)).toBe('[████]');
    expect(progressBar(Number.NaN, 4)).toBe('[░░░░]');
  });
});

describe('withProgressBar', () => {
  it('puts a 24-cell bar between the name and the figures when the line has room', () => {
    expect(withProgressBar('spring', 0.5, '50% 5/10', 79)).toBe(`spring [${'█'.repeat(12)}${'░'.repeat(12)}] 50% 5/10`);
  });

  it('narrows the bar to the room the line leaves, then leaves it out, keeping name and figures', () => {
    // 'spring' (6) + '50% 5/10' (8) + two spaces and the brackets (4): 30 columns leave 12 cells.
    expect(withProgressBar('spring', 0.5, '50% 5/10', 30)).toBe(`spring [${'█'.repeat(6)}${'░'.repeat(6)}] 50% 5/10`);
    expect(withProgressBar('spring', 0.5, '50% 5/10', 21)).toBe('spring 50% 5/10');
  });

  it('makes name and figures two parts when one line cannot hold both, for fitToWidth to break between', () => {
    expect(withProgressBar('spring-catalogue', 0.5, '50% 5/10', 20)).toBe('spring-catalogue · 50% 5/10');
  });
});
