import type { SimulatorOptions } from './simulator-options.js';

export interface CallCredentials {
  /** The `api-key` header. */
  readonly apiKey: string | undefined;
  /** The `Authorization` header. */
  readonly authorization: string | undefined;
}

/**
 * Key or Entra ID token, as the real resource accepts either. A present `api-key` decides on
 * its own: the SDK sends one or the other, never both.
 */
export function isAuthorized(credentials: CallCredentials, options: Pick<SimulatorOptions, 'apiKeys' | 'bearerTokens'>): boolean {
  if (credentials.apiKey !== undefined) return options.apiKeys.includes(credentials.apiKey);
  const token = /^Bearer\s+(.+)$/i.exec(credentials.authorization ?? '')?.[1]?.trim() ?? '';
  if (token === '') return false;
  return options.bearerTokens === 'any' || options.bearerTokens.includes(token);
}
