import { createHmac, randomBytes } from 'node:crypto';
import { ADMIN_CLIENT_NAME } from '../config/api-client-config.js';
import type { ApiPrincipal } from './api-principal.js';
import { createTokenDirectory, type TokenDirectory } from './create-token-directory.js';
import { isTokenEqual } from './is-token-equal.js';
import { createMemorySessionRevocations, type SessionRevocations } from './session-revocations.js';

/** The cookie that carries a browser's session. */
const SESSION_COOKIE_NAME = 'imgbatch_session';

export interface BrowserSessionOptions {
  /** The key sessions are signed with: the API token (IMGBATCH_API_TOKEN), so a new token ends every session. Required. */
  readonly token: string;
  /** Who may sign in, and with which token; default the admin alone, with `token`. */
  readonly accounts?: TokenDirectory;
  /** How long a session lasts after sign-in, ms. Default 43200000 (12 hours). */
  readonly maxAgeMs?: number;
  /** Where signed-out sessions are remembered until they expire; default this process's memory. */
  readonly revocations?: SessionRevocations;
}

/** A browser's session as its cookie shows it. */
export interface SignedInSession {
  /** Who signed in; what they see and may do follows its scopes and batch prefix. */
  readonly principal: ApiPrincipal;
  /** The token the dashboard's forms must carry (CSRF): derived from the session, so it needs no storage and ends with it. */
  readonly csrfToken: string;
}

export interface BrowserSession {
  /** Who the token typed into the sign-in form belongs to (constant time for the admin token); undefined for an unknown one. */
  signIn(token: string): ApiPrincipal | undefined;
  /** A `Set-Cookie` value that starts a new session for `name` (default `admin`); `Secure` when the page was served over https. */
  issueCookie(options: { readonly isSecure: boolean; readonly name?: string; readonly nowMs?: number }): string;
  /** A `Set-Cookie` value that makes the browser drop its session cookie. */
  clearCookie(options: { readonly isSecure: boolean }): string;
  /** The session a `Cookie` header holds, signed by this key, neither expired nor signed out, of a principal whose token the server still takes. */
  signedIn(cookieHeader: string | undefined, nowMs?: number): Promise<SignedInSession | undefined>;
  /** Whether a `Cookie` header holds such a session. */
  isValid(cookieHeader: string | undefined, nowMs?: number): Promise<boolean>;
  /** Ends the sessions a `Cookie` header holds, server-side: their cookies are refused from now on, wherever they are replayed from. */
  revoke(cookieHeader: string | undefined, nowMs?: number): Promise<void>;
}

interface SignedSession {
  readonly id: string;
  readonly expiresAtMs: number;
  readonly principal: ApiPrincipal;
}

function cookieValues(header: string, name: string): string[] {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/**
 * Signed sessions for browsers, which cannot send a bearer header while navigating. The
 * cookie holds an expiry time, a random session id, the name of who signed in (the admin or a
 * client of the config file) and an HMAC of all three and of the client's token digest, keyed
 * with the API token: never a token, valid on every API replica that shares the key, and void
 * as soon as the key or the client's token changes or the client is removed. Signing out
 * records the id as revoked until it would have expired, so a copied cookie stops working too.
 * `HttpOnly` keeps it from scripts; `SameSite=Strict` keeps other sites from sending it.
 */
export function createBrowserSession(options: BrowserSessionOptions): BrowserSession {
  const maxAgeMs = options.maxAgeMs ?? 12 * 60 * 60_000;
  if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1_000) throw new RangeError(`maxAgeMs: ${maxAgeMs} is not a whole number of ms ≥ 1000`);
  const revocations = options.revocations ?? createMemorySessionRevocations();
  const accounts = options.accounts ?? createTokenDirectory({ adminToken: options.token, clients: [] });

  function sign(expiresAtMs: number, id: string, name: string, binding: string): string {
    return createHmac('sha256', options.token).update(`imgbatch-session:v3:${expiresAtMs}:${id}:${name}:${binding}`).digest('base64url');
  }

  function csrfTokenOf(id: string): string {
    return createHmac('sha256', options.token).update(`imgbatch-csrf:v1:${id}`).digest('base64url');
  }

  function attributes(isSecure: boolean): string {
    return `Path=/; HttpOnly; SameSite=Strict${isSecure ? '; Secure' : ''}`;
  }

  /** The sessions in a Cookie header that this key signed, that have not expired, of principals still known. */
  function signedSessions(cookieHeader: string | undefined, nowMs: number): SignedSession[] {
    if (cookieHeader === undefined) return [];
    // Another app on the same host may set a cookie of the same name: any valid one will do.
    return cookieValues(cookieHeader, SESSION_COOKIE_NAME).flatMap((value) => {
      const match = /^(\d{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (match === null) return [];
      const expiresAtMs = Number(match[1]);
      const id = match[2] ?? '';
      const named = accounts.byName(match[3] ?? '');
      if (named === undefined || expiresAtMs <= nowMs) return [];
      return isTokenEqual(match[4] ?? '', sign(expiresAtMs, id, named.principal.name, named.binding)) ? [{ id, expiresAtMs, principal: named.principal }] : [];
    });
  }

  async function signedIn(cookieHeader: string | undefined, nowMs = Date.now()): Promise<SignedInSession | undefined> {
    for (const session of signedSessions(cookieHeader, nowMs)) {
      if (!(await revocations.isRevoked(session.id))) return { principal: session.principal, csrfToken: csrfTokenOf(session.id) };
    }
    return undefined;
  }

  return {
    signIn(token) {
      return accounts.byToken(token);
    },

    issueCookie({ isSecure, name = ADMIN_CLIENT_NAME, nowMs = Date.now() }) {
      const named = accounts.byName(name);
      if (named === undefined) throw new RangeError(`no principal named ${JSON.stringify(name)} may sign in`);
      const expiresAtMs = nowMs + maxAgeMs;
      const id = randomBytes(16).toString('base64url');
      return `${SESSION_COOKIE_NAME}=${expiresAtMs}.${id}.${name}.${sign(expiresAtMs, id, name, named.binding)}; Max-Age=${Math.floor(maxAgeMs / 1000)}; ${attributes(isSecure)}`;
    },

    clearCookie({ isSecure }) {
      return `${SESSION_COOKIE_NAME}=; Max-Age=0; ${attributes(isSecure)}`;
    },

    signedIn,

    async isValid(cookieHeader, nowMs) {
      return (await signedIn(cookieHeader, nowMs)) !== undefined;
    },

    async revoke(cookieHeader, nowMs = Date.now()) {
      await Promise.all(signedSessions(cookieHeader, nowMs).map((session) => revocations.revoke(session.id, session.expiresAtMs)));
    },
  };
}
