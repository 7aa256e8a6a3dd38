import { rateLimitedBody } from './responses.js';
import { jsonReply, type Reply } from './reply.js';
import type { SCRIPTED_429_HEADER_MODES } from './fault-script.js';

export type RateLimitHintMode = (typeof SCRIPTED_429_HEADER_MODES)[number];

export interface RateLimitedReplyOptions {
  readonly apiVersion: string;
  /** The true wait until a slot frees; rounded up to whole seconds where Azure speaks seconds. */
  readonly retryAfterMs: number;
  /** Which headers carry the wait; every mode also states it in the message. */
  readonly mode: RateLimitHintMode;
  readonly nowMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A 429 with the real body, its wait given in the headers the chosen mode mimics. */
export function rateLimitedReply(options: RateLimitedReplyOptions): Reply {
  const { retryAfterMs, nowMs } = options;
  const retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
  const hints = ((): Record<string, string> => {
    switch (options.mode) {
      case 'ms-and-seconds':
        return {
          'retry-after-ms': String(Math.ceil(retryAfterMs)),
          'retry-after': String(retryAfterSeconds),
          'x-ratelimit-remaining-requests': '0',
        };
      case 'seconds':
        return { 'retry-after': String(retryAfterSeconds) };
      case 'http-date': {
        // HTTP dates have whole seconds: state `date` rounded down and the retry time from
        // it, so (retry-after − date) is the wait a client computes.
        const dateMs = Math.floor(nowMs / 1000) * 1000;
        return {
          date: new Date(dateMs).toUTCString(),
          'retry-after': new Date(dateMs + retryAfterSeconds * 1000).toUTCString(),
        };
      }
      case 'reset-requests':
        return { 'x-ratelimit-reset-requests': String(retryAfterSeconds) };
      case 'none':
        return {};
    }
  })();
  return jsonReply(429, rateLimitedBody(options.apiVersion, retryAfterSeconds), { ...options.headers, ...hints });
}
