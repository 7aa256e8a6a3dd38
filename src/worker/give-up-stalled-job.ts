import { reconcileJobOutcomes, type ReconcileDeps } from './reconcile-job-outcomes.js';

/**
 * Times a job may be taken over from a worker that stopped holding it (killed, or its lock
 * lost) before it is given up: a job whose call crashes every worker that runs it must not
 * loop through the fleet for ever, each time perhaps paying for a call.
 */
export const MAX_STALLS = 3;

/**
 * Ends a job taken over more than MAX_STALLS times, and returns the reason. An image the store
 * holds (the worker died after keeping it) keeps its outcome; every other image is recorded
 * `failed` with reason `stalled_too_often`, the dead worker's open call is counted as possibly
 * billed, and the job's budget reservation is given back. BullMQ's own stall limit fails a job
 * inside a Lua script, where no processor sees it: its images would have no outcome and the
 * batch would wait for them for ever. So BullMQ's limit is set far above this one, and this is
 * where it ends.
 */
export async function giveUpStalledJob(deps: ReconcileDeps, job: { readonly id: string; readonly data: unknown; readonly stalls: number }): Promise<string> {
  const message =
    `given up: the worker holding this job stopped ${job.stalls} times (killed, or its lock lost), more than the ${MAX_STALLS} allowed; ` +
    'a call in flight each time may have been billed. `imgbatch resume <batch>` tries it again';
  await reconcileJobOutcomes(deps, job, { reason: 'stalled_too_often', message });
  return message;
}
