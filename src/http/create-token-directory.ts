import type { ApiClientConfig } from '../config/api-client-config.js';
import { ADMIN_PRINCIPAL, principalOfClient, type ApiPrincipal } from './api-principal.js';
import { hashApiToken } from './hash-api-token.js';
import { isBearerAuthorized } from './is-bearer-authorized.js';
import { isTokenEqual } from './is-token-equal.js';

/** The same shape isBearerAuthorized accepts. */
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** A principal found by name, with what its sessions are bound to. */
export interface NamedPrincipal {
  readonly principal: ApiPrincipal;
  /**
   * Changes when the principal's token does (a client's token digest; empty for the admin,
   * whose token is the session key itself), so a new token ends the old token's sessions.
   */
  readonly binding: string;
}

export interface TokenDirectory {
  /** The principal an `Authorization: Bearer <token>` header names; undefined for a missing, malformed or unknown token. */
  resolve(authorization: string | undefined): ApiPrincipal | undefined;
  /** The principal a bare token (typed into the sign-in form) belongs to; undefined for an unknown one. */
  byToken(token: string): ApiPrincipal | undefined;
  /** The principal of this name (`admin` or a client's), while the server still takes its token. */
  byName(name: string): NamedPrincipal | undefined;
}

/**
 * The tokens the server takes: IMGBATCH_API_TOKEN (admin, compared in constant time) and the
 * config file's clients, looked up by the SHA-256 of what was sent. Looking up by digest leaks
 * at most how a guess's digest compares with stored digests, which says nothing about any
 * token (finding a token from its digest is a preimage search).
 */
export function createTokenDirectory(options: { readonly adminToken: string | null; readonly clients: readonly ApiClientConfig[] }): TokenDirectory {
  const byHash = new Map(options.clients.map((client) => [client.tokenSha256.toLowerCase(), principalOfClient(client)]));
  const byName = new Map(options.clients.map((client) => [client.name, { principal: principalOfClient(client), binding: client.tokenSha256.toLowerCase() }]));
  const { adminToken } = options;
  function byToken(token: string): ApiPrincipal | undefined {
    if (token === '') return undefined;
    if (adminToken !== null && isTokenEqual(token, adminToken)) return ADMIN_PRINCIPAL;
    return byHash.get(hashApiToken(token));
  }
  return {
    resolve(authorization) {
      if (adminToken !== null && isBearerAuthorized(authorization, adminToken)) return ADMIN_PRINCIPAL;
      const presented = BEARER.exec(authorization ?? '')?.[1];
      return presented === undefined ? undefined : byHash.get(hashApiToken(presented));
    },
    byToken,
    byName(name) {
      if (name === ADMIN_PRINCIPAL.name) return adminToken === null ? undefined : { principal: ADMIN_PRINCIPAL, binding: '' };
      return byName.get(name);
    },
  };
}
