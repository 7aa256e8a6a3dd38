/** The window Azure's requests-per-minute quota is counted over at its longest, ms. */
export const QUOTA_WINDOW_MS = 10_000;

/**
 * The narrowest spacing of calls a requests-per-minute quota takes, ms per call. Azure counts
 * RPM over windows as short as 1–10 s; Microsoft's own API simulator (and ours) lets
 * floor(rpm / 6) calls into any 10 s window. So a rate that is not a multiple of 6 is spaced as
 * the multiple below it: 40 rpm as 36, one call per 1,667 ms, where 60 000 / 40 = 1,500 ms
 * would let a seventh call into some windows and have it answered 429. Below 6 rpm a window
 * holds one call, and 60 000 / rpm is already at least the window.
 */
export function quotaSpacingMs(ratePerMinute: number): number {
  const perWindow = Math.floor((ratePerMinute * QUOTA_WINDOW_MS) / 60_000);
  const perMinuteSpacing = 60_000 / ratePerMinute;
  return perWindow >= 1 ? Math.max(perMinuteSpacing, QUOTA_WINDOW_MS / perWindow) : perMinuteSpacing;
}
