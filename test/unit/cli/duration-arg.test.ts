import { describe, expect, it } from 'vitest';
import { durationArgMs } from '../../../src/cli/duration-arg.js';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';

describe('durationArgMs', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['45m', 2_700_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(durationArgMs('older-than', text)).toBe(ms);
  });

  it.each(['', '7', '7 d', '7days', '-1d', '1.5h', '1w', 'd'])('refuses %j, naming the flag and what is allowed', (text) => {
    let thrown: unknown;
    try {
      durationArgMs('older-than', text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toContain('--older-than');
    expect((thrown as Error).message).toContain('a whole number and s, m, h or d');
  });
});
