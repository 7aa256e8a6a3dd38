import type { Logger } from '../../log/logger.js';
import type { CallInHand } from './call-in-hand.js';
import type { JobContext } from './job-context.js';
import type { SpendBook } from './processor-ports.js';

/**
 * How long keeping a call's images may take: the retrying store's waits (5 retries from 200 ms
 * doubling to 5 s, about 11 s in all) and its attempts, then a write to the spool.
 */
export const KEEPING_ALLOWANCE_MS = 30_000;

export interface HoldDeps {
  readonly batches: Pick<SpendBook, 'holdCallOpen'>;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * A call is open until its start plus its timeout; a run that takes the job over (its lock lost
 * in a Redis pause) waits until then before it counts the call as abandoned and calls again.
 * An answer that comes back close to that deadline still has its images to keep, which a store
 * that fails can stretch over its retries: the call is held open for the keeping allowance
 * first, so the run taking over does not pay for images this worker is still writing. One
 * Redis command, and only then: an answer well inside its timeout costs nothing here. A Redis
 * error does not stop the keeping (the paid images come first); it is logged.
 */
export async function holdCallOpenForKeeping(deps: HoldDeps, ctx: JobContext, made: Pick<CallInHand, 'callId' | 'openUntilMs'>): Promise<void> {
  if (made.openUntilMs - deps.now() >= KEEPING_ALLOWANCE_MS) return;
  try {
    await deps.batches.holdCallOpen(ctx.jobId, made.callId, KEEPING_ALLOWANCE_MS);
  } catch (error) {
    deps.logger.warn({ jobId: ctx.jobId, err: error }, 'could not hold the call open while its images are kept');
  }
}
