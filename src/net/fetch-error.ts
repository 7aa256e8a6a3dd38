import { ImgbatchError } from '../errors/imgbatch-error.js';

/**
 * Why an outbound fetch was refused or failed:
 * - `scheme`: not https (plain http only to an allowed loopback), or not a URL;
 * - `address`: the host is (or resolves to) a loopback, private or link-local address not allowed;
 * - `redirect`: a redirect to another host, or too many redirects;
 * - `too_large`: the body is over the size cap;
 * - `timeout`: no complete answer in time;
 * - `http_status`: an answer other than 2xx;
 * - `network`: the connection failed (DNS, refused, reset);
 * - `not_image`: the body is not an image of a format asked for (read from its first bytes).
 */
export type FetchRefusal = 'scheme' | 'address' | 'redirect' | 'too_large' | 'timeout' | 'http_status' | 'network' | 'not_image';

/**
 * A URL as it may be shown in errors and logs: without user info, query or fragment, where
 * credentials travel (a SAS token is a query).
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return url.length > 200 ? `${url.slice(0, 200)}…` : url;
  }
}

export class FetchError extends ImgbatchError {
  /** The URL, as displayUrl shows it (no query: it may hold a SAS token). */
  readonly url: string;
  readonly reason: FetchRefusal;
  /** Whether the same fetch may succeed later (timeouts, resets, 5xx, 429). */
  readonly isTransient: boolean;
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** What went wrong, without the URL (the message is `<url>: <detail>`). */
  readonly detail: string;

  constructor(url: string, reason: FetchRefusal, detail: string, options: { isTransient?: boolean; status?: number; cause?: unknown } = {}) {
    super('FETCH', `${displayUrl(url)}: ${detail}`, { cause: options.cause });
    this.name = 'FetchError';
    this.url = displayUrl(url);
    this.reason = reason;
    this.isTransient = options.isTransient ?? false;
    this.status = options.status;
    this.detail = detail;
  }
}
