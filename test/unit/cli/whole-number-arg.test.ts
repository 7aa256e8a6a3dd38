import { describe, expect, it } from 'vitest';
import { wholeNumberArg } from '../../../src/cli/whole-number-arg.js';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';

describe('wholeNumberArg', () => {
  it('reads a whole number within the bounds, the bounds included', () => {
    expect(wholeNumberArg('page', '3', 1)).toBe(3);
    expect(wholeNumberArg('port', '0', 0, 65_535)).toBe(0);
    expect(wholeNumberArg('port', '65535', 0, 65_535)).toBe(65_535);
  });

  it('refuses anything else with a ValidationError naming the flag, the value and what is allowed', () => {
    expect(() => wholeNumberArg('max-images', '0', 1)).toThrow(new ValidationError([{ field: '--max-images', reason: '"0" is not a whole number ≥ 1' }]));
    expect(() => wholeNumberArg('page', '1.5', 1)).toThrow('--page: "1.5" is not a whole number ≥ 1');
    expect(() => wholeNumberArg('port', '65536', 0, 65_535)).toThrow('--port: "65536" is not a whole number from 0 to 65535');
    expect(() => wholeNumberArg('port', 'http', 0, 65_535)).toThrow('--port: "http" is not a whole number from 0 to 65535');
  });
});
