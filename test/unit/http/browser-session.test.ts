import { describe, expect, it } from 'vitest';
import { createBrowserSession } from '../../../src/http/browser-session.js';
import { createMemorySessionRevocations } from '../../../src/http/session-revocations.js';

const TOKEN = 'a-long-api-token-0123456789';
const NOW = 1_800_000_000_000;

function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

describe('createBrowserSession', () => {
  const session = createBrowserSession({ token: TOKEN, maxAgeMs: 60_000 });

  it('issues an HttpOnly SameSite=Strict cookie, Secure only over https, that holds no token', () => {
    const setCookie = session.issueCookie({ isSecure: false, nowMs: NOW });
    expect(setCookie).toMatch(/^imgbatch_session=\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Max-Age=60; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(TOKEN);
    expect(session.issueCookie({ isSecure: true, nowMs: NOW })).toMatch(/; Secure$/);
    expect(session.clearCookie({ isSecure: false })).toBe('imgbatch_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
  });

  it('accepts its own cookie until it expires, among other cookies', async () => {
    const cookie = cookieOf(session.issueCookie({ isSecure: false, nowMs: NOW }));
    expect(await session.isValid(cookie, NOW + 59_999)).toBe(true);
    expect(await session.isValid(`theme=dark; ${cookie}; other=1`, NOW)).toBe(true);
    expect(await session.isValid(`imgbatch_session=junk; ${cookie}`, NOW)).toBe(true);
    expect(await session.isValid(cookie, NOW + 60_000)).toBe(false);
  });

  it('refuses a missing, forged, edited or other-token cookie', async () => {
    const cookie = cookieOf(session.issueCookie({ isSecure: false, nowMs: NOW }));
    const [, value = ''] = cookie.split('=');
    const [expires = '', id = '', mac = ''] = value.split('.');
    expect(await session.isValid(undefined, NOW)).toBe(false);
    expect(await session.isValid('', NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${Number(expires) + 3_600_000}.${id}.${mac}`, NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${expires}.${id.slice(1)}A.${mac}`, NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${expires}.${id}.${mac.slice(1)}A`, NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${TOKEN}`, NOW)).toBe(false);
    expect(await session.isValid(`other_session=${value}`, NOW)).toBe(false);
    expect(await createBrowserSession({ token: `${TOKEN}-rotated` }).isValid(cookie, NOW)).toBe(false);
  });

  it('refuses a signed-out cookie wherever it comes from, and no other session of the same token', async () => {
    const revocations = createMemorySessionRevocations(() => NOW);
    const replicaA = createBrowserSession({ token: TOKEN, maxAgeMs: 60_000, revocations });
    const replicaB = createBrowserSession({ token: TOKEN, maxAgeMs: 60_000, revocations });
    const signedOut = cookieOf(replicaA.issueCookie({ isSecure: false, nowMs: NOW }));
    const other = cookieOf(replicaA.issueCookie({ isSecure: false, nowMs: NOW }));
    await replicaA.revoke(`theme=dark; ${signedOut}`, NOW);
    expect(await replicaA.isValid(signedOut, NOW)).toBe(false);
    expect(await replicaB.isValid(signedOut, NOW)).toBe(false);
    expect(await replicaB.isValid(other, NOW)).toBe(true);
    // A forged cookie revokes nothing.
    await replicaA.revoke(`imgbatch_session=${NOW + 1000}.${'A'.repeat(22)}.${'B'.repeat(43)}`, NOW);
    expect(await replicaA.isValid(other, NOW)).toBe(true);
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
