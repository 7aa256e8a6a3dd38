import type { ApiClientConfig } from '../config/api-client-config.js';
import { ADMIN_PRINCIPAL, principalOfClient, type ApiPrincipal } from './api-principal.js';
import { hashApiToken } from './hash-api-token.js';
import { isBearerAuthorized } from './is-bearer-authorized.js';

/** The same shape isBearerAuthorized accepts. */
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export interface TokenDirectory {
  /** The principal an `Authorization: Bearer <token>` header names; undefined for a missing, malformed or unknown token. */
  resolve(authorization: string | undefined): ApiPrincipal | undefined;
}

/**
 * The tokens the server takes: IMGBATCH_API_TOKEN (admin, compared in constant time) and the
 * config file's clients, looked up by the SHA-256 of what was sent. Looking up by digest leaks
 * at most how a guess's digest compares with stored digests, which says nothing about any
 * token (finding a token from its digest is a preimage search).
 */
export function createTokenDirectory(options: { readonly adminToken: string | null; readonly clients: readonly ApiClientConfig[] }): TokenDirectory {
  const byHash = new Map(options.clients.map((client) => [client.tokenSha256.toLowerCase(), principalOfClient(client)]));
  return {
    resolve(authorization) {
      if (options.adminToken !== null && isBearerAuthorized(authorization, options.adminToken)) return ADMIN_PRINCIPAL;
      const presented = BEARER.exec(authorization ?? '')?.[1];
      return presented === undefined ? undefined : byHash.get(hashApiToken(presented));
    },
  };
}
