import type { CallRecord } from '../../src/simulator/call-stats.js';

/**
 * A call a worker sent through its proxy that got no answer back to it: the worker died (or
 * gave up) while the simulator was still on it. The simulator may have made, and billed, the
 * image all the same.
 */
export interface UnansweredForward {
  readonly worker: number;
  /** The call's `x-ms-client-request-id` (the image key), as the worker sent it. */
  readonly clientRequestId: string | null;
  /** When the proxy got the call, and when it let go of it, epoch ms. */
  readonly sentAtMs: number;
  readonly endedAtMs: number;
}

/**
 * The proxy and the simulator share one process: a call whose worker died may be read by the
 * simulator (its arrival) a moment after the proxy let go of it.
 */
const ARRIVAL_GRACE_MS = 1_000;

/**
 * Simulator request id -> the worker that sent the call. An answered call is known by the
 * request id its answer carried through the proxy. A call whose worker was killed mid-call
 * never got an answer, so its request id never passed the proxy: it is matched to the one
 * unanswered forward of the same image key whose time span holds the call's arrival. Two
 * workers with the same key in flight at once leave the call unknown (the report then calls a
 * duplicate of it unexplained, as it should: that overlap is itself what it looks for).
 */
export function attributeCalls(calls: readonly CallRecord[], answered: ReadonlyMap<string, number>, unanswered: readonly UnansweredForward[]): Map<string, number> {
  const callers = new Map(answered);
  for (const call of calls) {
    if (callers.has(call.requestId) || call.clientRequestId === null) continue;
    const workers = new Set(
      unanswered
        .filter((f) => f.clientRequestId === call.clientRequestId && f.sentAtMs <= call.arrivedAtMs && call.arrivedAtMs <= f.endedAtMs + ARRIVAL_GRACE_MS)
        .map((f) => f.worker),
    );
    const [worker] = workers;
    if (workers.size === 1 && worker !== undefined) callers.set(call.requestId, worker);
  }
  return callers;
}
