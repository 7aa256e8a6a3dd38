import { isTokenEqual } from './is-token-equal.js';

/** Whether an `Authorization` header carries the API token, compared in constant time (isTokenEqual). */
export function isBearerAuthorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const presented = match?.[1];
  if (presented === undefined) return false;
  return isTokenEqual(presented, token);
}
