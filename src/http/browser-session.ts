import { createHmac, randomBytes } from 'node:crypto';
import { isTokenEqual } from './is-token-equal.js';
import { createMemorySessionRevocations, type SessionRevocations } from './session-revocations.js';

/** The cookie that carries a browser's session. */
const SESSION_COOKIE_NAME = 'imgbatch_session';

export interface BrowserSessionOptions {
  /** The API token (IMGBATCH_API_TOKEN): sessions are signed with it, so a new token ends every session. Required. */
  readonly token: string;
  /** How long a session lasts after sign-in, ms. Default 43200000 (12 hours). */
  readonly maxAgeMs?: number;
  /** Where signed-out sessions are remembered until they expire; default this process's memory. */
  readonly revocations?: SessionRevocations;
}

export interface BrowserSession {
  /** Whether the presented text is the API token (constant time). */
  isToken(presented: string): boolean;
  /** A `Set-Cookie` value that starts a new session; `Secure` when the page was served over https. */
  issueCookie(options: { readonly isSecure: boolean; readonly nowMs?: number }): string;
  /** A `Set-Cookie` value that makes the browser drop its session cookie. */
  clearCookie(options: { readonly isSecure: boolean }): string;
  /** Whether a `Cookie` header holds a session this token signed that has neither expired nor been signed out. */
  isValid(cookieHeader: string | undefined, nowMs?: number): Promise<boolean>;
  /** Ends the sessions a `Cookie` header holds, server-side: their cookies are refused from now on, wherever they are replayed from. */
  revoke(cookieHeader: string | undefined, nowMs?: number): Promise<void>;
}

interface SignedSession {
  readonly id: string;
  readonly expiresAtMs: number;
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
 * cookie holds an expiry time, a random session id and an HMAC of both keyed with the API
 * token: never the token itself, valid on every API replica that shares the token, and void
 * as soon as the token changes. Signing out records the id as revoked until it would have
 * expired, so a copied cookie stops working too. `HttpOnly` keeps it from scripts;
 * `SameSite=Strict` keeps other sites from sending it.
 */
export function createBrowserSession(options: BrowserSessionOptions): BrowserSession {
  const maxAgeMs = options.maxAgeMs ?? 12 * 60 * 60_000;
  if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1_000) throw new RangeError(`maxAgeMs: ${maxAgeMs} is not a whole number of ms ≥ 1000`);
  const revocations = options.revocations ?? createMemorySessionRevocations();

  function sign(expiresAtMs: number, id: string): string {
    return createHmac('sha256', options.token).update(`imgbatch-session:v2:${expiresAtMs}:${id}`).digest('base64url');
  }

  function attributes(isSecure: boolean): string {
    return `Path=/; HttpOnly; SameSite=Strict${isSecure ? '; Secure' : ''}`;
  }

  /** The sessions in a Cookie header that this token signed and that have not expired. */
  function signedSessions(cookieHeader: string | undefined, nowMs: number): SignedSession[] {
    if (cookieHeader === undefined) return [];
    // Another app on the same host may set a cookie of the same name: any valid one will do.
    return cookieValues(cookieHeader, SESSION_COOKIE_NAME).flatMap((value) => {
      const match = /^(\d{1,16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (match === null) return [];
      const expiresAtMs = Number(match[1]);
      const id = match[2] ?? '';
      return expiresAtMs > nowMs && isTokenEqual(match[3] ?? '', sign(expiresAtMs, id)) ? [{ id, expiresAtMs }] : [];
    });
  }

  return {
    isToken(presented) {
      return isTokenEqual(presented, options.token);
    },

    issueCookie({ isSecure, nowMs = Date.now() }) {
      const expiresAtMs = nowMs + maxAgeMs;
      const id = randomBytes(16).toString('base64url');
      return `${SESSION_COOKIE_NAME}=${expiresAtMs}.${id}.${sign(expiresAtMs, id)}; Max-Age=${Math.floor(maxAgeMs / 1000)}; ${attributes(isSecure)}`;
    },

    clearCookie({ isSecure }) {
      return `${SESSION_COOKIE_NAME}=; Max-Age=0; ${attributes(isSecure)}`;
    },

    async isValid(cookieHeader, nowMs = Date.now()) {
      for (const session of signedSessions(cookieHeader, nowMs)) if (!(await revocations.isRevoked(session.id))) return true;
      return false;
    },

    async revoke(cookieHeader, nowMs = Date.now()) {
      await Promise.all(signedSessions(cookieHeader, nowMs).map((session) => revocations.revoke(session.id, session.expiresAtMs)));
    },
  };
}
