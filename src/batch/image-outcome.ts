/**
 * How one image ended. `stored` and `filtered` are success for a run's exit code; `cancelled`
 * (its job was removed before it started, by `imgbatch cancel`) and `skipped` (no call was made
 * because the batch's budget, `--max-cost`, would have been exceeded: reason `budget_exceeded`)
 * are finished but not success. `imgbatch resume` brings skipped images back.
 */
export const IMAGE_OUTCOMES = ['stored', 'filtered', 'failed', 'rejected', 'cancelled', 'skipped'] as const;
export type ImageOutcome = (typeof IMAGE_OUTCOMES)[number];

export type OutcomeCounts = Readonly<Record<ImageOutcome, number>>;

export function emptyOutcomeCounts(): Record<ImageOutcome, number> {
  return { stored: 0, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 };
}

/**
 * Why an image ended `failed`, `rejected` or `skipped`: the code other modules act on. The
 * message recorded beside it is for people and is never parsed.
 */
export const OUTCOME_REASONS = [
  /** The job's payload is not a valid image job, or its model cannot serve it (rejected). */
  'invalid_job',
  /** An edit input is gone, changed since enqueue, or breaks the model's rules. */
  'input_refused',
  /** The service refused the request itself (HTTP 400 other than the content filter). */
  'service_rejected',
  /** More 429 answers than `worker.maxRateLimitWaits`. */
  'rate_limited_too_often',
  /** Transient errors (5xx, resets) on every one of `worker.attempts` attempts. */
  'attempts_exhausted',
  /** More timed-out calls than `worker.timeoutRetries`. */
  'timeouts_exhausted',
  /** The job waited longer than `worker.maxWaitMs` without finishing. */
  'waited_too_long',
  /** No call made: it would have taken the batch past its budget (`--max-cost`). */
  'budget_exceeded',
  /** Generated (and paid for) but the store did not take it. */
  'not_kept',
  /** The service answered with a body over the size cap: not read, counted as possibly billed, not retried. */
  'response_too_large',
  /** The worker holding the job stopped more often than allowed (killed, or its lock lost). */
  'stalled_too_often',
  /** The job left the queue without recording this image's outcome; found and recorded afterwards. */
  'lost_outcome_reconciled',
] as const;
export type OutcomeReason = (typeof OUTCOME_REASONS)[number];

/** An outcome that is not success, with the code code acts on and the text people read. */
export interface OutcomeDetail {
  readonly reason: OutcomeReason;
  readonly message: string;
}

export function isOutcomeReason(value: unknown): value is OutcomeReason {
  return OUTCOME_REASONS.some((reason) => reason === value);
}
