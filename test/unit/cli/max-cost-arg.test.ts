import { describe, expect, it } from 'vitest';
import { budgetVerdictLine } from '../../../src/cli/budget-verdict-line.js';
import { formatSeconds } from '../../../src/cli/format-estimate.js';
import { parseMaxCost } from '../../../src/cli/max-cost-arg.js';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';

describe('parseMaxCost', () => {
  it.each([
    ['25', 25],
    ['0.50', 0.5],
    ['$3', 3],
    ['0', 0],
  ])('reads %s as %s USD', (text, usd) => {
    expect(parseMaxCost(text)).toBe(usd);
  });

  it('is undefined when not given', () => {
    expect(parseMaxCost(undefined)).toBeUndefined();
  });

  it.each(['', 'ten', '-1', 'Infinity'])('refuses %j, naming the flag', (text) => {
    expect(() => parseMaxCost(text)).toThrow(ValidationError);
    expect(() => parseMaxCost(text)).toThrow(/--max-cost/);
  });
});

describe('budgetVerdictLine', () => {
  it('says whether the expected cost fits, and by how much it does not', () => {
    expect(budgetVerdictLine(0.5, 1)).toBe('budget $1.0000: the expected cost fits');
    expect(budgetVerdictLine(1.25, 1)).toMatch(/^budget \$1\.0000: the expected cost is over it by \$0\.2500; .* end skipped/);
  });
});

describe('formatSeconds', () => {
  it.each([
    [3, '3 s'],
    [89.2, '90 s'],
    [600, '10 min'],
    [7_260, '2 h 1 min'],
  ])('%s s reads %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});
