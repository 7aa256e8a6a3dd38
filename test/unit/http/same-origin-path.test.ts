import { describe, expect, it } from 'vitest';
import { sameOriginPath } from '../../../src/http/same-origin-path.js';

describe('sameOriginPath', () => {
  it.each([
    ['/admin/queues', '/admin/queues'],
    ['/batches/shop?page=2#filtered', '/batches/shop?page=2#filtered'],
    ['/a/../batches/x', '/batches/x'],
    ['//evil.example/x', '/fallback'],
    ['/\\evil.example', '/fallback'],
    ['/\t/evil.example', '/fallback'],
    ['https://evil.example/', '/fallback'],
    ['javascript:alert(1)', '/fallback'],
    ['relative/path', '/fallback'],
    ['', '/fallback'],
    [undefined, '/fallback'],
    [['/admin'], '/fallback'],
  ])('%j -> %j', (candidate, expected) => {
    expect(sameOriginPath(candidate, '/fallback')).toBe(expected);
  });
});
