import { describe, expect, it } from 'vitest';
import { parsePriority } from '../../../src/cli/priority-arg.js';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';

describe('parsePriority', () => {
  it.each([
    ['high', 'high'],
    ['Normal', 'normal'],
    [' bulk ', 'bulk'],
  ])('reads %j as %s', (text, priority) => {
    expect(parsePriority(text)).toBe(priority);
  });

  it('is undefined when not given', () => {
    expect(parsePriority(undefined)).toBeUndefined();
  });

  it.each(['', 'urgent', '1'])('refuses %j, naming the flag and the priorities', (text) => {
    expect(() => parsePriority(text)).toThrow(ValidationError);
    expect(() => parsePriority(text)).toThrow(/--priority.*high, normal, bulk/);
  });
});
