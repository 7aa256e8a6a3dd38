/**
 * Why the connection behind `error` could not reach or use Redis, as recorded on the error
 * itself: a cluster's last node error, or the cause watchRedisErrors gave it.
 */
function connectionProblem(error: Error): string | undefined {
  const lastNodeError = (error as { lastNodeError?: unknown }).lastNodeError;
  const cause = lastNodeError instanceof Error ? lastNodeError : error.cause;
  return cause instanceof Error ? cause.message : undefined;
}

/**
 * What a CLI should say about an error that means Redis could not be reached or refused the
 * credentials, instead of ioredis's "Reached the max retries per request limit"; undefined
 * for any other error.
 */
export function describeRedisFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message)) return `Redis refused the credentials in REDIS_URL: ${error.message}`;
  const isUnreachable = error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError' || error.message === 'Connection is closed.';
  if (!isUnreachable) return undefined;
  const cause = connectionProblem(error) ?? 'no answer';
  const hint = /certificate/i.test(cause) ? ' (set REDIS_TLS_CA_FILE to the PEM file of the CA that signed the server certificate)' : '';
  return `Redis could not be reached or used: ${cause}${hint}`;
}
