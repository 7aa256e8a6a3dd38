import type { SimulatorOptions } from './simulator-options.js';

export interface CallCredentials {
  /** The `api-key` header. */
  readonly apiKey: string | undefined;
  /** The `Authorization` header. */
  readonly authorization: string | undefined;
}

/**
 * Key or Entra ID token, as the real resource accepts either. A present `api-key` decides on
 * its own: the SDK sends one or the other, never both. On the v1 path the plain OpenAI client
 * sends the resource key as `Authorization: Bearer <key>` (Microsoft's v1 JavaScript samples),
 * so there a bearer that is a key is accepted too (`isKeyAsBearerAccepted`).
 */
export function isAuthorized(
  credentials: CallCredentials,
  options: Pick<SimulatorOptions, 'apiKeys' | 'bearerTokens'>,
  path: { readonly isKeyAsBearerAccepted?: boolean } = {},
): boolean {
  if (credentials.apiKey !== undefined) return options.apiKeys.includes(credentials.apiKey);
  const token = /^Bearer\s+(.+)$/i.exec(credentials.authorization ?? '')?.[1]?.trim() ?? '';
  if (token === '') return false;
  if (path.isKeyAsBearerAccepted === true && options.apiKeys.includes(token)) return true;
  return options.bearerTokens === 'any' || options.bearerTokens.includes(token);
}
