import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserSession } from './browser-session.js';
import { isBearerAuthorized } from './is-bearer-authorized.js';
import { LOGIN_CONTENT_SECURITY_POLICY, renderLoginPage } from './render-login-page.js';

export interface AuthHookOptions {
  /** The bearer token every non-public route requires. Required. */
  readonly apiToken: string;
  /** Browser sessions signed with the same token. Required. */
  readonly session: BrowserSession;
  /** Whether a route (fastify's route pattern, e.g. `/healthz`) is open to all. Required. */
  readonly isPublic: (routeUrl: string | undefined) => boolean;
}

/** Methods a session cookie may be used for: reads only. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

function wantsPage(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/**
 * The server's `onRequest` hook: every route but the public ones needs the bearer token, or,
 * for reads only, a browser session cookie. Cookies are never enough to change anything, so a
 * page on another site cannot make a signed-in browser enqueue or cancel (CSRF), even in a
 * browser that ignores SameSite. A browser navigating without a session gets the sign-in page
 * (401); everyone else gets the JSON 401 with `WWW-Authenticate: Bearer`. Runs before the body
 * is read, so an unauthenticated upload is refused unread.
 */
export function createAuthHook(options: AuthHookOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (options.isPublic(request.routeOptions.url)) return;
    if (isBearerAuthorized(request.headers.authorization, options.apiToken)) return;
    if (SAFE_METHODS.has(request.method) && options.session.isValid(request.headers.cookie)) return;
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
