/** The UTC calendar day of an instant, `YYYY-MM-DD`: the day daily spend caps count over. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Epoch ms of the next UTC midnight after `epochMs`, when a day's spend starts again from zero. */
export function nextUtcMidnightMs(epochMs: number): number {
  const day = new Date(epochMs);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
}
