import { createHmac } from 'node:crypto';
import { isTokenEqual } from './is-token-equal.js';

/** The cookie that carries a browser's session. */
const SESSION_COOKIE_NAME = 'imgbatch_session';

export interface BrowserSessionOptions {
  /** The API token (IMGBATCH_API_TOKEN): sessions are signed with it, so a new token ends every session. Required. */
  readonly token: string;
  /** How long a session lasts after sign-in, ms. Default 43200000 (12 hours). */
  readonly maxAgeMs?: number;
}

export interface BrowserSession {
  /** Whether the presented text is the API token (constant time). */
  isToken(presented: string): boolean;
  /** A `Set-Cookie` value that starts a session; `Secure` when the page was served over https. */
  issueCookie(options: { readonly isSecure: boolean; readonly nowMs?: number }): string;
  /** A `Set-Cookie` value that ends the session. */
  clearCookie(options: { readonly isSecure: boolean }): string;
  /** Whether a `Cookie` header holds a session this token signed that has not expired. */
  isValid(cookieHeader: string | undefined, nowMs?: number): boolean;
}

function cookieValues(header: string, name: string): string[] {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/**
 * Signed, stateless sessions for browsers, which cannot send a bearer header while
 * navigating. The cookie holds only an expiry time and an HMAC of it keyed with the API
 * token: never the token itself, nothing to store server-side, valid on every API replica
 * that shares the token, and void as soon as the token changes. `HttpOnly` keeps it from
 * scripts; `SameSite=Strict` keeps other sites from sending it.
 */
export function createBrowserSession(options: BrowserSessionOptions): BrowserSession {
  const maxAgeMs = options.maxAgeMs ?? 12 * 60 * 60_000;
  if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1_000) throw new RangeError(`maxAgeMs: ${maxAgeMs} is not a whole number of ms ≥ 1000`);

  function sign(expiresAtMs: number): string {
    return createHmac('sha256', options.token).update(`imgbatch-session:v1:${expiresAtMs}`).digest('base64url');
  }

  function attributes(isSecure: boolean): string {
    return `Path=/; HttpOnly; SameSite=Strict${isSecure ? '; Secure' : ''}`;
  }

  return {
    isToken(presented) {
      return isTokenEqual(presented, options.token);
    },

    issueCookie({ isSecure, nowMs = Date.now() }) {
      const expiresAtMs = nowMs + maxAgeMs;
      return `${SESSION_COOKIE_NAME}=${expiresAtMs}.${sign(expiresAtMs)}; Max-Age=${Math.floor(maxAgeMs / 1000)}; ${attributes(isSecure)}`;
    },

    clearCookie({ isSecure }) {
      return `${SESSION_COOKIE_NAME}=; Max-Age=0; ${attributes(isSecure)}`;
    },

    isValid(cookieHeader, nowMs = Date.now()) {
      if (cookieHeader === undefined) return false;
      // Another app on the same host may set a cookie of the same name: any valid one will do.
      return cookieValues(cookieHeader, SESSION_COOKIE_NAME).some((value) => {
        const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
        if (match === null) return false;
        const expiresAtMs = Number(match[1]);
        return expiresAtMs > nowMs && isTokenEqual(match[2] ?? '', sign(expiresAtMs));
      });
    },
  };
}
