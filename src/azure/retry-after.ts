/**
 * How long the service asked us to wait before calling again, from a 429's headers and
 * message. Azure is inconsistent about where it says this (see
 * test/fixtures/azure-image-responses.json, the 429 cases), so every place is tried in the
 * order Azure documents, and a value that cannot be read falls through to the next place
 * instead of becoming a wrong wait.
 */

type HeaderSource = Headers | Readonly<Record<string, string>> | undefined;

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  // Plain records come from logs and fixtures, where the case of header names is whatever the
  // writer used; HTTP header names are case-insensitive.
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

const NUMBER = /^\d+(?:\.\d+)?$/;

/** A non-negative decimal number, or null for anything else (negative, empty, `abc`, `1e3`). */
function nonNegativeNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

const DURATION_PART_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;

/**
 * Reads the `x-ratelimit-reset-*` formats seen in the wild: bare seconds (`9`, Azure) and
 * Go-style durations (`9s`, `1m30s`, `250ms`, OpenAI).
 */
export function durationMsFrom(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  const seconds = nonNegativeNumber(trimmed);
  if (seconds !== null) return seconds * 1000;
  if (!DURATION.test(trimmed)) return null;
  let totalMs = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    const unitMs = unit === undefined ? undefined : DURATION_PART_MS[unit];
    if (amount === undefined || unitMs === undefined) return null;
    totalMs += Number(amount) * unitMs;
  }
  return Number.isFinite(totalMs) ? totalMs : null;
}

function fromRetryAfterMs(headers: HeaderSource): number | null {
  return nonNegativeNumber(headerOf(headers, 'retry-after-ms'));
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function fromRetryAfter(headers: HeaderSource, nowMs: number): number | null {
  const value = headerOf(headers, 'retry-after');
  if (value === undefined) return null;
  const seconds = nonNegativeNumber(value);
  if (seconds !== null) return seconds * 1000;
  // Only something that looks like a date: Date.parse also accepts bare numbers such as "-5".
  if (!/[a-z]/i.test(value)) return null;
  const atMs = Date.parse(value);
  if (Number.isNaN(atMs)) return null;
  // The date is the server's clock: measuring it against the response's own Date header
  // removes any skew between our clock and the service's.
  const dateHeader = headerOf(headers, 'date');
  const serverNowMs = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader);
  const waitMs = atMs - (Number.isNaN(serverNowMs) ? nowMs : serverNowMs);
  // A date in the past says nothing usable (stale proxy, skewed clock): fall through.
  return waitMs >= 0 ? waitMs : null;
}

/**
 * When both reset headers are present we cannot tell which limit was hit, so the longer wait
 * is the one that is sure to be enough.
 */
function fromRateLimitReset(headers: HeaderSource): number | null {
  const waits = [
    durationMsFrom(headerOf(headers, 'x-ratelimit-reset-requests')),
    durationMsFrom(headerOf(headers, 'x-ratelimit-reset-tokens')),
  ].filter((wait): wait is number => wait !== null);
  return waits.length === 0 ? null : Math.max(...waits);
}

/**
 * Azure: "Please retry after 56 seconds." / "retry after 1 second"; OpenAI-style messages say
 * "Please try again in 20s" / "in 250ms".
 */
function fromMessage(message: string | undefined): number | null {
  if (message === undefined) return null;
  const retryAfter = /retry after (\d+(?:\.\d+)?) ?(?:seconds?|secs?|s)\b/i.exec(message);
  if (retryAfter?.[1] !== undefined) return Number(retryAfter[1]) * 1000;
  const tryAgain = /try again in (\d+(?:\.\d+)?(?:ms|s|m)(?:\d+(?:\.\d+)?(?:ms|s))*)\b/i.exec(message);
  if (tryAgain?.[1] !== undefined) return durationMsFrom(tryAgain[1].toLowerCase());
  return null;
}

/**
 * The wait a throttled response asks for, in whole milliseconds (rounded up), or null when it
 * gives none (the caller then uses its own backoff).
 *
 * Order, first usable value wins: `retry-after-ms` (Azure asks clients to honour it) →
 * `retry-after` (seconds, or an HTTP date measured against the response's `date` header, else
 * `nowMs`) → `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` → "retry after N
 * seconds" in the message.
 *
 * @param nowMs - the clock for an HTTP-date `retry-after` without a `date` header; default `Date.now()`.
 */
export function retryAfterMsFrom(
  headers: HeaderSource,
  message: string | undefined,
  nowMs: number = Date.now(),
): number | null {
  const waitMs =
    fromRetryAfterMs(headers) ??
    fromRetryAfter(headers, nowMs) ??
    fromRateLimitReset(headers) ??
    fromMessage(message);
  return waitMs === null ? null : Math.ceil(waitMs);
}
