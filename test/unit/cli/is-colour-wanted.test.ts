import { describe, expect, it } from 'vitest';
import { isColourWanted } from '../../../src/cli/is-colour-wanted.js';

describe('isColourWanted', () => {
  it.each([
    ['a terminal', true, {}, true],
    ['a pipe or a file', false, {}, false],
    ['a terminal with NO_COLOR=1', true, { NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR set to any other value', true, { NO_COLOR: 'yes' }, false],
    ['a terminal with NO_COLOR set but empty (no-color.org: empty means unset)', true, { NO_COLOR: '' }, true],
    ['a terminal with TERM=dumb', true, { TERM: 'dumb' }, false],
  ])('%s: %s', (_, isTTY, env, expected) => {
    expect(isColourWanted({ isTTY }, env)).toBe(expected);
  });
});
