import { RATE_COUNTED_OUTCOMES, type CallOutcome, type CallRecord } from './call-stats.js';

export type OutcomeCounts = Partial<Record<CallOutcome, number>>;

export interface DeploymentCallSummary {
  readonly total: number;
  readonly byOutcome: OutcomeCounts;
  /**
   * The most calls counted against the quota within any window of `windowMs` (half-open, as
   * the simulator's limiter): a client that respects the quota keeps this at or under the
   * deployment's window capacity.
   */
  readonly maxAcceptedPerWindow: number;
}

export interface CallSummary {
  readonly windowMs: number;
  readonly total: number;
  readonly byOutcome: OutcomeCounts;
  readonly byDeployment: Readonly<Record<string, DeploymentCallSummary>>;
}

function maxInAnyWindow(sortedTimesMs: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  sortedTimesMs.forEach((timeMs, end) => {
    // A call at t is in the window ending at `timeMs` while t > timeMs - windowMs.
    while ((sortedTimesMs[start] ?? timeMs) <= timeMs - windowMs) start++;
    max = Math.max(max, end - start + 1);
  });
  return max;
}

function increment(counts: OutcomeCounts, outcome: CallOutcome): void {
  counts[outcome] = (counts[outcome] ?? 0) + 1;
}

/** Counts by deployment and outcome, and the densest quota window per deployment. */
export function summarizeCalls(calls: readonly CallRecord[], windowMs = 10_000): CallSummary {
  const byOutcome: OutcomeCounts = {};
  const perDeployment = new Map<string, { total: number; byOutcome: OutcomeCounts; acceptedAtMs: number[] }>();
  for (const call of calls) {
    increment(byOutcome, call.outcome);
    let entry = perDeployment.get(call.deployment);
    if (entry === undefined) {
      entry = { total: 0, byOutcome: {}, acceptedAtMs: [] };
      perDeployment.set(call.deployment, entry);
    }
    entry.total++;
    increment(entry.byOutcome, call.outcome);
    if (RATE_COUNTED_OUTCOMES.includes(call.outcome)) entry.acceptedAtMs.push(call.arrivedAtMs);
  }
  // fromEntries defines own properties, so a deployment called `__proto__` is just a key.
  const byDeployment = Object.fromEntries(
    [...perDeployment].map(([name, entry]): [string, DeploymentCallSummary] => {
      const sorted = [...entry.acceptedAtMs].sort((a, b) => a - b);
      return [name, { total: entry.total, byOutcome: entry.byOutcome, maxAcceptedPerWindow: maxInAnyWindow(sorted, windowMs) }];
    }),
  );
  return { windowMs, total: calls.length, byOutcome, byDeployment };
}
