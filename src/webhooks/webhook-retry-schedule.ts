/**
 * When a webhook delivery that failed is tried again: 10 s, doubling, at most an hour apart,
 * for at least 24 hours in all. A receiver that is down for a deploy gets its events within
 * seconds of coming back; one down for a day still gets them, at-least-once.
 */
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_GAP_MS = 3_600_000;
/** Every delivery is tried for at least this long before it is given up. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 3_600_000;

/** The wait before retry number `retry` (1 for the first retry), ms. */
export function webhookRetryDelayMs(retry: number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry: ${retry} is not a whole number ≥ 1`);
  return Math.min(MAX_RETRY_GAP_MS, FIRST_RETRY_MS * 2 ** Math.min(retry - 1, 30));
}

function attemptsToCover(windowMs: number): number {
  let elapsedMs = 0;
  let retries = 0;
  while (elapsedMs < windowMs) elapsedMs += webhookRetryDelayMs(++retries);
  return retries + 1;
}

/** Attempts of one delivery (the first and its retries), so that the retries span the window. */
export const WEBHOOK_ATTEMPTS = attemptsToCover(WEBHOOK_RETRY_WINDOW_MS);
