/**
 * The delays of the retry policy (retry-policy.ts, the one owner of an image job's retries).
 * Exponential backoff with jitter: base·2^(attempt-1), capped, then drawn from the upper half
 * so that many jobs failing together do not come back together.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const capped = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  return Math.round(capped * (0.5 + random() * 0.5));
}
