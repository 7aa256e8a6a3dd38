import { describe, expect, it } from 'vitest';
import { isBearerAuthorized } from '../../../src/http/is-bearer-authorized.js';

const TOKEN = 'a-long-api-token-0123456789';

describe('isBearerAuthorized', () => {
  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer  ${TOKEN} `, true],
    [undefined, false],
    ['', false],
    [TOKEN, false],
    [`Basic ${TOKEN}`, false],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Bearer ${TOKEN} extra`, false],
    ['Bearer ', false],
  ])('%j -> %s', (header, expected) => {
    expect(isBearerAuthorized(header, TOKEN)).toBe(expected);
  });
});
