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
    ['/.//evil.example', '/fallback'],
    ['/./\\evil.example', '/fallback'],
    ['/%2e//evil.example', '/fallback'],
    ['/%2E%2E//evil.example/x', '/fallback'],
    ['/a/..//evil.example', '/fallback'],
    ['/x/.././/evil.example', '/fallback'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/a//b', '/a//b'],
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
