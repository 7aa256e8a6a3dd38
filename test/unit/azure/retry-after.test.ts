import { describe, expect, it } from 'vitest';
import { durationMsFrom, retryAfterMsFrom } from '../../../src/azure/retry-after.js';

const NOW_MS = Date.parse('2026-11-21T12:00:00Z');

describe('retryAfterMsFrom', () => {
  it('prefers retry-after-ms over retry-after', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after-ms': '55231', 'retry-after': '56' }), undefined)).toBe(55231);
  });

  it('rounds a fractional retry-after-ms up to whole ms', () => {
    expect(retryAfterMsFrom({ 'retry-after-ms': '10.2' }, undefined)).toBe(11);
  });

  it('reads retry-after as seconds', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '16' }), undefined)).toBe(16_000);
  });

  it('resolves an HTTP-date retry-after against the response date header, not our clock', () => {
    const headers = new Headers({ date: 'Sat, 21 Nov 2026 12:00:00 GMT', 'retry-after': 'Sat, 21 Nov 2026 12:00:30 GMT' });
    expect(retryAfterMsFrom(headers, undefined, Date.parse('2020-01-01T00:00:00Z'))).toBe(30_000);
  });

  it('resolves an HTTP-date retry-after against now when there is no date header', () => {
    expect(retryAfterMsFrom({ 'retry-after': 'Sat, 21 Nov 2026 12:00:05 GMT' }, undefined, NOW_MS)).toBe(5_000);
  });

  it('falls through a past HTTP date', () => {
    expect(retryAfterMsFrom({ 'retry-after': 'Sat, 21 Nov 2026 11:00:00 GMT', 'x-ratelimit-reset-requests': '3' }, undefined, NOW_MS)).toBe(
      3_000,
    );
  });

  it.each([
    ['9', 9_000],
    ['9s', 9_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['6m0s', 360_000],
  ])('reads x-ratelimit-reset-requests %s as %i ms', (value, expectedMs) => {
    expect(retryAfterMsFrom({ 'x-ratelimit-reset-requests': value }, undefined)).toBe(expectedMs);
  });

  it('reads x-ratelimit-reset-tokens, and takes the longer wait when both reset headers are present', () => {
    expect(retryAfterMsFrom({ 'x-ratelimit-reset-tokens': '2s' }, undefined)).toBe(2_000);
    expect(retryAfterMsFrom({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '7s' }, undefined)).toBe(7_000);
  });

  it('reads "retry after N seconds" from the message when no header says anything', () => {
    expect(retryAfterMsFrom(new Headers(), 'Please retry after 56 seconds. Please go here: https://aka.ms/oai/quotaincrease')).toBe(56_000);
    expect(retryAfterMsFrom(undefined, 'Please retry after 1 second.')).toBe(1_000);
    expect(retryAfterMsFrom(undefined, 'Rate limit reached. Please try again in 20s.')).toBe(20_000);
  });

  it('prefers any header over the message', () => {
    expect(retryAfterMsFrom({ 'retry-after': '16' }, 'Please retry after 56 seconds.')).toBe(16_000);
  });

  it.each([['-5'], ['abc'], [''], ['1e3'], ['Infinity'], ['NaN']])('ignores a retry-after-ms of %j and falls through', (value) => {
    expect(retryAfterMsFrom({ 'retry-after-ms': value, 'retry-after': '4' }, undefined)).toBe(4_000);
  });

  it('ignores garbage in every header and falls through to the message', () => {
    const headers = { 'retry-after-ms': 'x', 'retry-after': '-1', 'x-ratelimit-reset-requests': 'soon', 'x-ratelimit-reset-tokens': '-2s' };
    expect(retryAfterMsFrom(headers, 'Please retry after 3 seconds.')).toBe(3_000);
  });

  it('returns null when nothing gives a wait', () => {
    expect(retryAfterMsFrom(undefined, undefined)).toBeNull();
    expect(retryAfterMsFrom(new Headers({ 'content-type': 'application/json' }), 'Too many requests.')).toBeNull();
  });

  it('reads plain-record header names case-insensitively', () => {
    expect(retryAfterMsFrom({ 'Retry-After-Ms': '1200' }, undefined)).toBe(1200);
  });

  it('accepts zero: retry now', () => {
    expect(retryAfterMsFrom({ 'retry-after': '0' }, undefined)).toBe(0);
  });
});

describe('durationMsFrom', () => {
  it.each([['2h', 7_200_000], ['1m', 60_000], ['0.5s', 500], ['1h2m3s4ms', 3_723_004]])('reads %s', (value, expectedMs) => {
    expect(durationMsFrom(value)).toBe(expectedMs);
  });

  it.each([['s'], ['1x'], ['-3s'], ['1s-'], ['']])('rejects %j', (value) => {
    expect(durationMsFrom(value)).toBeNull();
  });
});
