import { describe, expect, it } from 'vitest';
import { createBrowserSession } from '../../../src/http/browser-session.js';

const TOKEN = 'a-long-api-token-0123456789';
const NOW = 1_800_000_000_000;

function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

describe('createBrowserSession', () => {
  const session = createBrowserSession({ token: TOKEN, maxAgeMs: 60_000 });

  it('issues an HttpOnly SameSite=Strict cookie, Secure only over https, that holds no token', () => {
    const setCookie = session.issueCookie({ isSecure: false, nowMs: NOW });
    expect(setCookie).toMatch(/^imgbatch_session=\d+\.[A-Za-z0-9_-]{43}; Max-Age=60; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(TOKEN);
    expect(session.issueCookie({ isSecure: true, nowMs: NOW })).toMatch(/; Secure$/);
    expect(session.clearCookie({ isSecure: false })).toBe('imgbatch_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
  });

  it('accepts its own cookie until it expires, among other cookies', () => {
    const cookie = cookieOf(session.issueCookie({ isSecure: false, nowMs: NOW }));
    expect(session.isValid(cookie, NOW + 59_999)).toBe(true);
    expect(session.isValid(`theme=dark; ${cookie}; other=1`, NOW)).toBe(true);
    expect(session.isValid(`imgbatch_session=junk; ${cookie}`, NOW)).toBe(true);
    expect(session.isValid(cookie, NOW + 60_000)).toBe(false);
  });

  it('refuses a missing, forged, edited or other-token cookie', () => {
    const cookie = cookieOf(session.issueCookie({ isSecure: false, nowMs: NOW }));
    const [, value = ''] = cookie.split('=');
    const [expires = '', mac = ''] = value.split('.');
    expect(session.isValid(undefined, NOW)).toBe(false);
    expect(session.isValid('', NOW)).toBe(false);
    expect(session.isValid(`imgbatch_session=${Number(expires) + 3_600_000}.${mac}`, NOW)).toBe(false);
    expect(session.isValid(`imgbatch_session=${expires}.${mac.slice(1)}A`, NOW)).toBe(false);
    expect(session.isValid(`imgbatch_session=${TOKEN}`, NOW)).toBe(false);
    expect(session.isValid(`other_session=${value}`, NOW)).toBe(false);
    expect(createBrowserSession({ token: `${TOKEN}-rotated` }).isValid(cookie, NOW)).toBe(false);
  });

  it('tells the token from anything else', () => {
    expect(session.isToken(TOKEN)).toBe(true);
    expect(session.isToken(`${TOKEN} `)).toBe(false);
    expect(session.isToken('')).toBe(false);
  });

  it('refuses a max age under a second', () => {
    expect(() => createBrowserSession({ token: TOKEN, maxAgeMs: 10 })).toThrow(RangeError);
  });
});
