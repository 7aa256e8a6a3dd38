import { describe, expect, it } from 'vitest';
import { createBrowserSession } from '../../../src/http/browser-session.js';
import { createTokenDirectory } from '../../../src/http/create-token-directory.js';
import { hashApiToken } from '../../../src/http/hash-api-token.js';
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
    expect(setCookie).toMatch(/^imgbatch_session=\d+\.[A-Za-z0-9_-]{22}\.admin\.[A-Za-z0-9_-]{43}; Max-Age=60; Path=\/; HttpOnly; SameSite=Strict$/);
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
    const [expires = '', id = '', name = '', mac = ''] = value.split('.');
    expect(await session.isValid(undefined, NOW)).toBe(false);
    expect(await session.isValid('', NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${Number(expires) + 3_600_000}.${id}.${name}.${mac}`, NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${expires}.${id.slice(1)}A.${name}.${mac}`, NOW)).toBe(false);
    expect(await session.isValid(`imgbatch_session=${expires}.${id}.${name}.${mac.slice(1)}A`, NOW)).toBe(false);
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
    await replicaA.revoke(`imgbatch_session=${NOW + 1000}.${'A'.repeat(22)}.admin.${'B'.repeat(43)}`, NOW);
    expect(await replicaA.isValid(other, NOW)).toBe(true);
  });

  it('signs in the admin and clients by their tokens; a session holds its client, and ends when the client\'s token changes or it is removed', async () => {
    const reader = { name: 'shop', tokenSha256: hashApiToken('shop-token-0123456789'), scopes: ['read' as const], batchPrefix: 'shop-' };
    const accounts = createTokenDirectory({ adminToken: TOKEN, clients: [reader] });
    const withClients = createBrowserSession({ token: TOKEN, accounts });
    expect(withClients.signIn(TOKEN)?.name).toBe('admin');
    expect(withClients.signIn('shop-token-0123456789')).toMatchObject({ name: 'shop', batchPrefix: 'shop-' });
    for (const wrong of [`${TOKEN} `, '', reader.tokenSha256]) expect(withClients.signIn(wrong)).toBeUndefined();

    const cookie = cookieOf(withClients.issueCookie({ isSecure: false, name: 'shop', nowMs: NOW }));
    const signedIn = await withClients.signedIn(cookie, NOW);
    expect(signedIn?.principal).toMatchObject({ name: 'shop', scopes: new Set(['read']) });
    expect(signedIn?.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Another session of the same client has another CSRF token.
    expect((await withClients.signedIn(cookieOf(withClients.issueCookie({ isSecure: false, name: 'shop', nowMs: NOW })), NOW))?.csrfToken).not.toBe(signedIn?.csrfToken);
    // The name in the cookie is signed: another client's name does not pass.
    expect(await withClients.isValid(cookie.replace('.shop.', '.admin.'), NOW)).toBe(false);

    const rotated = createTokenDirectory({ adminToken: TOKEN, clients: [{ ...reader, tokenSha256: hashApiToken('shop-token-rotated') }] });
    expect(await createBrowserSession({ token: TOKEN, accounts: rotated }).isValid(cookie, NOW)).toBe(false);
    expect(await createBrowserSession({ token: TOKEN, accounts: createTokenDirectory({ adminToken: TOKEN, clients: [] }) }).isValid(cookie, NOW)).toBe(false);
  });

  it('refuses a max age under a second', () => {
    expect(() => createBrowserSession({ token: TOKEN, maxAgeMs: 10 })).toThrow(RangeError);
  });
});
