import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '../config/api-client-config.js';
import type { AuthFailureLimiter } from './create-auth-failure-limiter.js';
import type { BrowserSession } from './browser-session.js';
import { batchOutsidePrefix, hasScope, setPrincipal, type ApiPrincipal } from './api-principal.js';
import { expectCsrfToken, isSameOrigin } from './form-csrf.js';
import type { TokenDirectory } from './create-token-directory.js';
import { LOGIN_CONTENT_SECURITY_POLICY, renderLoginPage } from './render-login-page.js';
import { renderScopeMissingPage, SCOPE_MISSING_CONTENT_SECURITY_POLICY } from './render-scope-missing-page.js';

export interface AuthHookOptions {
  /** The tokens every non-public route takes: IMGBATCH_API_TOKEN and the config file's clients. Required. */
  readonly tokens: TokenDirectory;
  /** Browser sessions, signed in with IMGBATCH_API_TOKEN or a client token. Required. */
  readonly session: BrowserSession;
  /** Counts wrong bearer tokens per client address; a client over its budget gets 429 before its token is looked at. Required. */
  readonly failures: AuthFailureLimiter;
  /** Whether a route (fastify's route pattern, e.g. `/healthz`) is open to all. Required. */
  readonly isPublic: (routeUrl: string | undefined) => boolean;
  /** The scope a route needs (`null`: any caller with a token); see scopeOfRoute. Required. */
  readonly scopeOf: (method: string, routeUrl: string | undefined) => ApiScope | null;
  /**
   * Whether a POST route is a dashboard form, which a session cookie may post to from this
   * server's own pages (Origin checked here, the form's CSRF token by the route: form-csrf.ts).
   * Default none.
   */
  readonly isSessionForm?: (routeUrl: string | undefined) => boolean;
  /** Where the sign-out form posts, on the page a session without a page's scope gets. Required. */
  readonly logoutPath: string;
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
 * Whether the principal may use this route, on this batch (a route with a `:batchId`): 403 with
 * the reason when not. Enqueue names its batch in the body, so its route checks the prefix itself.
 * A browser session asking for a page it may not see gets the 403 as a page with a sign-out form
 * (`logoutPath`), not JSON it could do nothing with.
 */
async function admit(request: FastifyRequest, reply: FastifyReply, principal: ApiPrincipal, scope: ApiScope | null, logoutPath?: string): Promise<void> {
  if (scope !== null && !hasScope(principal, scope)) {
    if (logoutPath !== undefined && wantsPage(request)) {
      await reply
        .status(403)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', SCOPE_MISSING_CONTENT_SECURITY_POLICY)
        .header('cache-control', 'no-store')
        .send(renderScopeMissingPage({ name: principal.name, scopes: principal.scopes, needed: scope, logoutPath }));
      return;
    }
    await reply.status(403).send({ error: 'scope_missing', message: `client ${principal.name} does not hold the ${scope} scope, which ${request.method} ${request.routeOptions.url ?? ''} needs` });
    return;
  }
  const batchId = (request.params as Readonly<Record<string, unknown>> | undefined)?.batchId;
  const outside = typeof batchId === 'string' ? batchOutsidePrefix(principal, batchId) : undefined;
  if (outside !== undefined) {
    await reply.status(403).send({ error: 'batch_outside_prefix', message: outside });
    return;
  }
  setPrincipal(request, principal);
}

/**
 * The server's `onRequest` hook: every route but the public ones needs a bearer token (the
 * admin's IMGBATCH_API_TOKEN or a client's from the config file) holding the route's scope,
 * or, for reads and the dashboard's own forms, a browser session cookie (signed in with either,
 * holding that token's scopes). A cookie alone is never enough to change anything: a form post
 * also needs this server's Origin and the session's CSRF token, so a page on another site cannot
 * make a signed-in browser enqueue, cancel or pause (CSRF), even in a browser that ignores
 * SameSite. A browser navigating without a
 * session gets the sign-in page (401); everyone else gets the JSON 401 with
 * `WWW-Authenticate: Bearer`; a known token without the scope, or outside its batch prefix,
 * gets 403 with the reason. Runs before the body is read, so an unauthenticated upload is
 * refused unread. A client that has sent too many wrong bearer tokens gets 429 before its
 * next one is compared, so it learns nothing from it.
 */
export function createAuthHook(options: AuthHookOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (options.isPublic(request.routeOptions.url)) return;
    const scope = options.scopeOf(request.method, request.routeOptions.url);
    const { authorization } = request.headers;
    if (authorization !== undefined) {
      const retryAfterMs = options.failures.retryAfterMs(request.ip);
      if (retryAfterMs > 0) return refuseTooManyFailures(reply, retryAfterMs);
      const principal = options.tokens.resolve(authorization);
      if (principal !== undefined) return admit(request, reply, principal, scope);
      options.failures.recordFailure(request.ip);
    }
    const isForm = request.method === 'POST' && (options.isSessionForm?.(request.routeOptions.url) ?? false);
    if (SAFE_METHODS.has(request.method) || isForm) {
      const signedIn = await options.session.signedIn(request.headers.cookie);
      if (signedIn !== undefined) {
        if (!isForm) return admit(request, reply, signedIn.principal, scope, options.logoutPath);
        if (!isSameOrigin(request)) {
          await reply.status(403).send({ error: 'cross_origin', message: 'a dashboard form must be posted from this server’s own pages (Origin)' });
          return;
        }
        expectCsrfToken(request, signedIn.csrfToken);
        return admit(request, reply, signedIn.principal, scope);
      }
    }
    if (wantsPage(request)) {
      await reply
        .status(401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', LOGIN_CONTENT_SECURITY_POLICY)
        .header('cache-control', 'no-store')
        .send(renderLoginPage({ next: request.url }));
      return;
    }
    await reply.status(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'send Authorization: Bearer <token> (IMGBATCH_API_TOKEN, or a client token of the config file)' });
  };
}
