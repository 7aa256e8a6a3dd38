/** How one image ended. `stored` and `filtered` are success for a run's exit code. */
export const IMAGE_OUTCOMES = ['stored', 'filtered', 'failed', 'rejected'] as const;
export type ImageOutcome = (typeof IMAGE_OUTCOMES)[number];

export type OutcomeCounts = Readonly<Record<ImageOutcome, number>>;

export function emptyOutcomeCounts(): Record<ImageOutcome, number> {
  return { stored: 0, filtered: 0, failed: 0, rejected: 0 };
}
