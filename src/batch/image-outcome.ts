/**
 * How one image ended. `stored` and `filtered` are success for a run's exit code; `cancelled`
 * (its job was removed before it started, by `imgbatch cancel`) and `skipped` (no call was made
 * because the batch's budget, `--max-cost`, would have been exceeded; the error says
 * `budget: …`) are finished but not success. `imgbatch resume` brings skipped images back.
 */
export const IMAGE_OUTCOMES = ['stored', 'filtered', 'failed', 'rejected', 'cancelled', 'skipped'] as const;
export type ImageOutcome = (typeof IMAGE_OUTCOMES)[number];

export type OutcomeCounts = Readonly<Record<ImageOutcome, number>>;

export function emptyOutcomeCounts(): Record<ImageOutcome, number> {
  return { stored: 0, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 };
}
