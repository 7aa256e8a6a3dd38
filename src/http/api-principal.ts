import type { FastifyRequest } from 'fastify';
import { ADMIN_CLIENT_NAME, API_SCOPES, type ApiClientConfig, type ApiScope } from '../config/api-client-config.js';

/** Who sent a request, as its token (or session) says. */
export interface ApiPrincipal {
  /** Recorded with the batches it makes; `admin` for IMGBATCH_API_TOKEN and browser sessions. */
  readonly name: string;
  readonly scopes: ReadonlySet<ApiScope>;
  /** Batch ids it may touch start with this; undefined: any. */
  readonly batchPrefix: string | undefined;
  /** Spend per UTC day, USD, past which its enqueues are refused; undefined: no cap. */
  readonly dailyCapUsd: number | undefined;
}

/** The IMGBATCH_API_TOKEN holder (and a browser signed in with it): every scope, every batch, no cap. */
export const ADMIN_PRINCIPAL: ApiPrincipal = Object.freeze({ name: ADMIN_CLIENT_NAME, scopes: new Set(API_SCOPES), batchPrefix: undefined, dailyCapUsd: undefined });

export function principalOfClient(client: ApiClientConfig): ApiPrincipal {
  return Object.freeze({ name: client.name, scopes: new Set(client.scopes), batchPrefix: client.batchPrefix, dailyCapUsd: client.dailyCapUsd });
}

/** `admin` holds every scope. */
export function hasScope(principal: ApiPrincipal, scope: ApiScope): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}

/** Why the principal may not touch `batchId`, or undefined when it may. */
export function batchOutsidePrefix(principal: ApiPrincipal, batchId: string): string | undefined {
  const prefix = principal.batchPrefix;
  if (prefix === undefined || batchId.startsWith(prefix)) return undefined;
  return `client ${principal.name} may touch only batches whose id starts with ${JSON.stringify(prefix)}, not ${JSON.stringify(batchId)}`;
}

// Set by the auth hook; a WeakMap rather than a request decoration, so no global type is widened.
const principals = new WeakMap<FastifyRequest, ApiPrincipal>();

export function setPrincipal(request: FastifyRequest, principal: ApiPrincipal): void {
  principals.set(request, principal);
}

/** Who sent the request; undefined when the server runs without auth (`serve --no-auth`: local use, no limits). */
export function principalOf(request: FastifyRequest): ApiPrincipal | undefined {
  return principals.get(request);
}
