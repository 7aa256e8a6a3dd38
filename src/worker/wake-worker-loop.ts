import type { Worker } from 'bullmq';

/** The part of BullMQ 6's Worker this reaches into: the queue its main loop waits on. */
interface WithMainLoopQueue {
  readonly mainLoopQueue?: { add(settled: Promise<unknown>): void } | null;
}

/**
 * Makes a running BullMQ worker look at its concurrency again now. BullMQ 6 (6.7) fetches new
 * jobs only after one of the worker's jobs ends: its main loop waits on a queue of job
 * promises, and raising `worker.concurrency` wakes nothing. A worker whose jobs all wait for
 * minutes-long calls would not take in more until the first call came back. An already settled
 * entry without a job is what a job ending puts there: the loop fetches up to the concurrency
 * and waits again. Where BullMQ has no such queue (another major version), nothing happens and
 * the worker takes jobs in as a job ends, as before.
 */
export function wakeWorkerLoop(worker: Worker): void {
  const queue = (worker as unknown as WithMainLoopQueue).mainLoopQueue;
  if (typeof queue?.add === 'function') queue.add(Promise.resolve(undefined));
}
