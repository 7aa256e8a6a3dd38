/**
 * How one image ended. `stored` and `filtered` are success for a run's exit code; `cancelled`
 * (its job was removed before it started, by `imgbatch cancel`) is finished but not success.
 */
export const IMAGE_OUTCOMES = ['stored', 'filtered', 'failed', 'rejected', 'cancelled'] as const;
export type ImageOutcome = (typeof IMAGE_OUTCOMES)[number];

export type OutcomeCounts = Readonly<Record<ImageOutcome, number>>;

export function emptyOutcomeCounts(): Record<ImageOutcome, number> {
  return { stored: 0, filtered: 0, failed: 0, rejected: 0, cancelled: 0 };
}
