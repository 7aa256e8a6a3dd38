import { RATE_COUNTED_OUTCOMES, type CallRecord } from '../../src/simulator/call-stats.js';

export interface QuotaUtilization {
  readonly calls: number;
  /** Calls the service counted against the quota (answered, filtered included). */
  readonly accepted: number;
  readonly rateLimited: number;
  /** Seconds from the first call to the last. */
  readonly spanSeconds: number;
  /** accepted / (summed quota per second × spanSeconds). */
  readonly utilization: number;
  /** 429s / calls. */
  readonly rate429: number;
}

/**
 * How much of the quota the calls used, from the simulator's own record of them (not the
 * workers'): accepted calls over what the summed quota allows from the first call to the last.
 */
export function quotaUtilization(calls: readonly CallRecord[], totalRatePerMinute: number): QuotaUtilization {
  const accepted = calls.filter((c) => RATE_COUNTED_OUTCOMES.includes(c.outcome)).length;
  const rateLimited = calls.filter((c) => c.outcome === 'rate_limited').length;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    first = Math.min(first, call.arrivedAtMs);
    last = Math.max(last, call.arrivedAtMs);
  }
  const spanSeconds = calls.length < 2 ? 0 : (last - first) / 1000;
  const capacity = (totalRatePerMinute / 60) * spanSeconds;
  return {
    calls: calls.length,
    accepted,
    rateLimited,
    spanSeconds,
    utilization: capacity === 0 ? 0 : accepted / capacity,
    rate429: calls.length === 0 ? 0 : rateLimited / calls.length,
  };
}
