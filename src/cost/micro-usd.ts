/**
 * Money is counted in whole micro-dollars wherever it is added up (Redis HINCRBY takes
 * integers; sums of floats drift), and shown in dollars. A micro-dollar is far below any
 * image's price (the cheapest, gpt-image-1-mini low, bills ~$0.002).
 */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function fromMicroUsd(micros: number): number {
  return micros / 1_000_000;
}

/** Rounds a dollar amount to whole micro-dollars, so what is recorded adds up exactly. */
export function roundUsd(usd: number): number {
  return fromMicroUsd(toMicroUsd(usd));
}
