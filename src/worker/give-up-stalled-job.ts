import { z } from 'zod';
import type { BatchRegistry } from '../batch/batch-registry.js';
import { imageKeysOf } from '../job/image-job.js';
import { safeIdSchema } from '../job/image-request.js';

/**
 * Times a job may be taken over from a worker that stopped holding it (killed, or its lock
 * lost) before it is given up: a job whose call crashes every worker that runs it must not
 * loop through the fleet for ever, each time perhaps paying for a call.
 */
export const MAX_STALLS = 3;

/** Enough of a job's data to name its images, however well-formed the rest is. */
const jobIdentity = z.object({ batchId: safeIdSchema, requestId: safeIdSchema, variants: z.array(z.number().int().min(0)).min(1) });

/**
 * Records `failed`, with the reason, for every image of a job taken over more than MAX_STALLS
 * times, and returns the reason. BullMQ's own stall limit fails a job inside a Lua script,
 * where no processor sees it: its images would have no outcome and the batch would wait for
 * them for ever. So BullMQ's limit is set far above this one, and this is where it ends.
 */
export async function giveUpStalledJob(
  batches: Pick<BatchRegistry, 'ensureJob' | 'recordOutcome'>,
  job: { readonly id: string; readonly data: unknown; readonly stalls: number },
): Promise<string> {
  const message =
    `given up: the worker holding this job stopped ${job.stalls} times (killed, or its lock lost), more than the ${MAX_STALLS} allowed; ` +
    'a call in flight each time may have been billed. `imgbatch resume <batch>` tries it again';
  const identity = jobIdentity.safeParse(job.data);
  if (!identity.success) return message;
  const images = imageKeysOf(identity.data);
  await batches.ensureJob(identity.data.batchId, job.id, images.length);
  for (const key of images) await batches.recordOutcome(identity.data.batchId, key, 'failed', message);
  return message;
}
