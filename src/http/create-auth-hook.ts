import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from './create-auth-failure-limiter.js';
import type { BrowserSession } from './browser-session.js';
import { isBearerAuthorized } from './is-bearer-authorized.js';
import { LOGIN_CONTENT_SECURITY_POLICY, renderLoginPage } from './render-login-page.js';

export interface AuthHookOptions {
  /** The bearer token every non-public route requires. Required. */
  readonly apiToken: string;
  /** Browser sessions signed with the same token. Required. */
  readonly session: BrowserSession;
  /** Counts wrong bearer tokens per client address; a client over its budget gets 429 before its token is looked at. Required. */
  readonly failures: AuthFailureLimiter;
  /** Whether a route (fastify's route pattern, e.g. `/healthz`) is open to all. Required. */
  readonly isPublic: (routeUrl: string | undefined) => boolean;
}

/** Methods a session cookie may be used for: reads only. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

function wantsPage(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/** The 429 of a client that failed to authenticate too often: `Retry-After` in whole seconds (RFC 9110 §10.2.3). */
async function refuseTooManyFailures(reply: FastifyReply, retryAfterMs: number): Promise<void> {
  const seconds = Math.ceil(retryAfterMs / 1000);
  await reply
    .status(429)
    .header('retry-after', String(seconds))
    .send({ error: 'too_many_auth_failures', message: `too many failed authentications from this address; try again in ${seconds} s` });
}

/**
 * The server's `onRequest` hook: every route but the public ones needs the bearer token, or,
 * for reads only, a browser session cookie. Cookies are never enough to change anything, so a
 * page on another site cannot make a signed-in browser enqueue or cancel (CSRF), even in a
 * browser that ignores SameSite. A browser navigating without a session gets the sign-in page
 * (401); everyone else gets the JSON 401 with `WWW-Authenticate: Bearer`. Runs before the body
 * is read, so an unauthenticated upload is refused unread. A client that has sent too many
 * wrong bearer tokens gets 429 before its next one is compared, so it learns nothing from it.
 */
export function createAuthHook(options: AuthHookOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (options.isPublic(request.routeOptions.url)) return;
    const { authorization } = request.headers;
    if (authorization !== undefined) {
      const retryAfterMs = options.failures.retryAfterMs(request.ip);
      if (retryAfterMs > 0) return refuseTooManyFailures(reply, retryAfterMs);
      if (isBearerAuthorized(authorization, options.apiToken)) return;
      options.failures.recordFailure(request.ip);
    }
    if (SAFE_METHODS.has(request.method) && (await options.session.isValid(request.headers.cookie))) return;
    if (wantsPage(request)) {
      await reply
        .status(401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', LOGIN_CONTENT_SECURITY_POLICY)
        .header('cache-control', 'no-store')
        .send(renderLoginPage({ next: request.url }));
      return;
    }
    await reply.status(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'send Authorization: Bearer <IMGBATCH_API_TOKEN>' });
  };
}
