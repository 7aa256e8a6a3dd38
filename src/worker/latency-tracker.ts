/**
 * A running average of call latency (exponentially weighted), for sizing in-flight calls.
 * Starts from nothing: `averageMs` is undefined until a call has come back.
 */
export interface LatencyTracker {
  record(latencyMs: number): void;
  readonly averageMs: number | undefined;
}

export function createLatencyTracker(weight = 0.1): LatencyTracker {
  let average: number | undefined;
  return {
    record(latencyMs) {
      average = average === undefined ? latencyMs : average + weight * (latencyMs - average);
    },
    get averageMs() {
      return average;
    },
  };
}
