import { roundUsd } from './micro-usd.js';

/** What a call costs, and the share of it each of its images carries. */
export interface CallCost {
  /** The whole call, USD (= perImageUsd × images). */
  readonly usd: number;
  /** One image's share, USD, rounded to micro-dollars. */
  readonly perImageUsd: number;
}

/** A call's cost split evenly over its images, each share rounded to micro-dollars so shares add up to the whole. */
export function splitCallCost(usd: number, images: number): CallCost {
  const count = Math.max(1, images);
  const perImageUsd = roundUsd(usd / count);
  return { usd: roundUsd(perImageUsd * count), perImageUsd };
}
