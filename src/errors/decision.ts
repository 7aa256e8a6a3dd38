/**
 * What the worker does after a call to the images API. Produced only by `classifyError`
 * (for thrown errors) and `readImagesResponse` (for bodies that came back), so that every
 * look inside an SDK error or a response body happens in one place.
 */
export type FilterStage = 'prompt' | 'output';

export interface FilterDetails {
  readonly stage: FilterStage;
  /** Harm categories the service flagged (`filtered: true`), e.g. `['violence']`; may be empty. */
  readonly categories: readonly string[];
  /** The prompt the service rewrote, when it says so (dall-e-3). */
  readonly revisedPrompt?: string;
  readonly code: string;
  readonly message: string;
}

export type PauseReason = 'auth' | 'blocked' | 'deployment_missing' | 'model_unsupported';

export type Decision =
  /** Terminal: the content filter refused; the call is never repeated. */
  | { readonly kind: 'filtered'; readonly filter: FilterDetails }
  /** Terminal: the request itself is invalid; repeating it cannot help. */
  | { readonly kind: 'rejected'; readonly code: string; readonly message: string; readonly status?: number }
  /**
   * Throttled: wait, then call again without spending an attempt. `retryAfterMs` is the
   * service's own wait (null when it gave none: the caller uses its own backoff).
   */
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number | null; readonly message: string }
  /** Timeouts, dropped connections, 5xx: retry with backoff, bounded attempts. */
  | {
      readonly kind: 'transient';
      readonly code: string;
      readonly message: string;
      readonly status?: number;
      /** True when the request reached the service, so the image may have been billed. */
      readonly mayHaveBilled: boolean;
    }
  /**
   * Terminal: the service answered, but with a body over the cap (see maxImagesResponseBytes:
   * n images of 40 MiB in base64 and 1 MiB more), not read. The images may have been made and
   * billed; another call would most likely answer the same, and may be billed again.
   */
  | { readonly kind: 'too_large'; readonly message: string; readonly status: number }
  /** Every call to this deployment would fail the same way: stop calling it, keep jobs queued. */
  | { readonly kind: 'pause_deployment'; readonly reason: PauseReason; readonly status?: number; readonly message: string };

export type DecisionKind = Decision['kind'];
