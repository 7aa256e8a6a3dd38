import type { FastifyRequest } from 'fastify';
import { isTokenEqual } from './is-token-equal.js';

// Set by the auth hook for a form post it let in on a session cookie; a WeakMap, as for principals.
const expected = new WeakMap<FastifyRequest, string>();

/** Notes that this request came in on a session cookie, so its form must carry the session's CSRF token. */
export function expectCsrfToken(request: FastifyRequest, csrfToken: string): void {
  expected.set(request, csrfToken);
}

/**
 * Whether a form post may go ahead: one that came in on a session cookie must carry its
 * session's CSRF token (compared in constant time); one with a bearer header needs none,
 * since no other site can make a browser send that header.
 */
export function isCsrfTokenAccepted(request: FastifyRequest, presented: unknown): boolean {
  const token = expected.get(request);
  return token === undefined || (typeof presented === 'string' && isTokenEqual(presented, token));
}

/** Whether a request came from a page of this server: browsers send `Origin` with every POST. */
export function isSameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return origin !== undefined && origin === `${request.protocol}://${request.host}`;
}

/** Sent by a browser from another site's page: an Origin not this server's, or Fetch Metadata saying so. A client with no Origin (curl, a service) is not. */
export function isCrossSite(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  return request.headers.origin !== undefined && !isSameOrigin(request);
}
