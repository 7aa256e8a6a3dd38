import { describe, expect, it } from 'vitest';
import { isAuthorized } from '../../../src/simulator/is-authorized.js';

const keysOnly = { apiKeys: ['sim-key'], bearerTokens: [] as string[] };

describe('isAuthorized', () => {
  it('accepts a configured api-key and refuses any other', () => {
    expect(isAuthorized({ apiKey: 'sim-key', authorization: undefined }, keysOnly)).toBe(true);
    expect(isAuthorized({ apiKey: 'wrong', authorization: undefined }, keysOnly)).toBe(false);
    expect(isAuthorized({ apiKey: undefined, authorization: undefined }, keysOnly)).toBe(false);
  });

  it('refuses bearer tokens unless bearer auth is configured', () => {
    expect(isAuthorized({ apiKey: undefined, authorization: 'Bearer t1' }, keysOnly)).toBe(false);
    expect(isAuthorized({ apiKey: undefined, authorization: 'Bearer t1' }, { ...keysOnly, bearerTokens: ['t1'] })).toBe(true);
    expect(isAuthorized({ apiKey: undefined, authorization: 'Bearer t2' }, { ...keysOnly, bearerTokens: ['t1'] })).toBe(false);
  });

  it('accepts any non-empty token in "any" mode', () => {
    const any = { ...keysOnly, bearerTokens: 'any' as const };
    expect(isAuthorized({ apiKey: undefined, authorization: 'bearer whatever' }, any)).toBe(true);
    expect(isAuthorized({ apiKey: undefined, authorization: 'Bearer   ' }, any)).toBe(false);
    expect(isAuthorized({ apiKey: undefined, authorization: 'Basic abc' }, any)).toBe(false);
  });
});
