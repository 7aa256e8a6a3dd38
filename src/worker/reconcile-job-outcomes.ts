import type { OutcomeDetail } from '../batch/image-outcome.js';
import { imageKeysOf } from '../job/image-job.js';
import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import type { JobState } from '../queue/job-state.js';
import type { ImageKeeper, OutcomeBook, SpendBook } from './stages/processor-ports.js';
import { retryBookkeeping } from './stages/retry-bookkeeping.js';
import { settleLeftCall, type SettleDeps } from './stages/settle-call.js';

export type ReconcileDeps = SettleDeps & {
  readonly batches: OutcomeBook & Pick<SpendBook, 'releaseCost'>;
  readonly store: Pick<ImageKeeper, 'getRecord'>;
  readonly jobState: Pick<JobState, 'read'>;
};

/**
 * Gives every image of a job that left the queue (failed, given up) an outcome if it has none,
 * so no batch waits for ever on it: an image the store holds keeps its status (its worker died
 * after keeping it); any other ends `failed` with `detail` (`lost_outcome_reconciled`, or the
 * reason the job was given up). A call its worker left open is counted as possibly billed,
 * and the job's budget reservation is given back. Returns how many images it gave an outcome.
 */
export async function reconcileJobOutcomes(deps: ReconcileDeps, job: { readonly id: string; readonly data: unknown }, detail: OutcomeDetail): Promise<number> {
  const identity = imageJobIdentitySchema.safeParse(job.data);
  if (!identity.success) return 0;
  const { batchId } = identity.data;
  const images = imageKeysOf(identity.data);
  await retryBookkeeping(deps, 'ensure job', () => deps.batches.ensureJob(batchId, job.id, images.length));
  await settleLeftCall(deps, { jobId: job.id, batchId });
  let reconciled = 0;
  for (const key of images) {
    if ((await deps.batches.outcomeOf(batchId, key)) !== undefined) continue;
    const kept = await deps.store.getRecord(key).catch(() => null);
    if (kept === null) await retryBookkeeping(deps, 'record outcome', () => deps.batches.recordOutcome(batchId, key, 'failed', detail.message, detail.reason));
    else await retryBookkeeping(deps, 'record outcome', () => deps.batches.recordOutcome(batchId, key, kept.status));
    reconciled++;
  }
  await retryBookkeeping(deps, 'release cost', () => deps.batches.releaseCost(batchId, job.id));
  return reconciled;
}
