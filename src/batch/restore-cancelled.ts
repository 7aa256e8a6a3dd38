import { imageJobSchema, imageKeysOf } from '../job/image-job.js';
import type { ImageQueue } from '../queue/image-queue.js';
import type { BatchRegistry } from './batch-registry.js';
import { NOT_STARTED_STATES } from './cancel-batch.js';

/**
 * After a cancelled batch is enqueued again, its removed jobs are back in the queue but their
 * images still count as `cancelled`, so the batch would look finished while they run. This
 * counts the images of every queued job of the batch as pending again. Returns how many.
 */
export async function restoreCancelled(deps: { readonly queue: ImageQueue; readonly batches: BatchRegistry }, batchId: string): Promise<number> {
  const summary = await deps.batches.summary(batchId);
  if (summary.counts.cancelled === 0) return 0;
  let restored = 0;
  for await (const ids of deps.batches.jobIds(batchId)) {
    await Promise.all(
      ids.map(async (jobId) => {
        const job = await deps.queue.getJob(jobId);
        if (job === undefined) return;
        const state = await job.getState();
        if (!NOT_STARTED_STATES.some((s) => s === state)) return;
        const parsed = imageJobSchema.safeParse(job.data);
        if (!parsed.success) return;
        for (const key of imageKeysOf(parsed.data)) if (await deps.batches.restoreCancelled(batchId, key)) restored++;
      }),
    );
  }
  return restored;
}
