import type { BatchRegistry } from '../batch/batch-registry.js';
import { imageKeysOf } from '../job/image-job.js';
import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import type { ResultStore } from '../storage/result-store.js';

/**
 * Times a job may be taken over from a worker that stopped holding it (killed, or its lock
 * lost) before it is given up: a job whose call crashes every worker that runs it must not
 * loop through the fleet for ever, each time perhaps paying for a call.
 */
export const MAX_STALLS = 3;

/**
 * Ends a job taken over more than MAX_STALLS times, and returns the reason. An image the store
 * holds (the worker died after keeping it) keeps its outcome; every other image is recorded
 * `failed` with the reason, and the job's budget reservation is given back. BullMQ's own stall
 * limit fails a job inside a Lua script, where no processor sees it: its images would have no
 * outcome and the batch would wait for them for ever. So BullMQ's limit is set far above this
 * one, and this is where it ends.
 */
export async function giveUpStalledJob(
  deps: { readonly batches: Pick<BatchRegistry, 'ensureJob' | 'recordOutcome' | 'releaseCost'>; readonly store: Pick<ResultStore, 'getRecord'> },
  job: { readonly id: string; readonly data: unknown; readonly stalls: number },
): Promise<string> {
  const message =
    `given up: the worker holding this job stopped ${job.stalls} times (killed, or its lock lost), more than the ${MAX_STALLS} allowed; ` +
    'a call in flight each time may have been billed. `imgbatch resume <batch>` tries it again';
  const identity = imageJobIdentitySchema.safeParse(job.data);
  if (!identity.success) return message;
  const { batchId } = identity.data;
  const images = imageKeysOf(identity.data);
  await deps.batches.ensureJob(batchId, job.id, images.length);
  for (const key of images) {
    const kept = await deps.store.getRecord(key);
    if (kept === null) await deps.batches.recordOutcome(batchId, key, 'failed', message);
    else await deps.batches.recordOutcome(batchId, key, kept.status);
  }
  await deps.batches.releaseCost(batchId, job.id);
  return message;
}
