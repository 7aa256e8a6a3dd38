import type { ImageOutcome } from '../../batch/image-outcome.js';
import type { ImageJobData } from '../../job/image-job.js';
import type { ImageRecord } from '../../storage/image-record.js';
import type { JobContext } from './job-context.js';
import type { ImageKeeper } from './processor-ports.js';

export type KeptImages =
  /** The store could not be read (an outage): nothing was called, so the job tries again later. */
  | { readonly kind: 'unreadable'; readonly message: string }
  | { readonly kind: 'read'; readonly kept: ReadonlyArray<{ readonly variant: number; readonly status: ImageOutcome }>; readonly pending: readonly number[] };

/**
 * The "already kept?" stage. Never pay twice: what the store holds is done, whatever Redis
 * remembers (a worker that died after keeping an image, a batch enqueued again). An image
 * stored for another request (its row was edited and enqueued with redoChanged) is made again.
 */
export async function findKeptImages(store: Pick<ImageKeeper, 'getRecord'>, ctx: JobContext): Promise<KeptImages> {
  let records;
  try {
    records = await Promise.all(ctx.data.variants.map((variant) => store.getRecord(ctx.keyOf(variant))));
  } catch (error) {
    return { kind: 'unreadable', message: error instanceof Error ? error.message : String(error) };
  }
  const kept: Array<{ variant: number; status: ImageOutcome }> = [];
  const pending: number[] = [];
  ctx.data.variants.forEach((variant, index) => {
    const record = records[index];
    if (record === null || record === undefined || !isSameRequest(record, ctx.data)) pending.push(variant);
    else kept.push({ variant, status: record.status });
  });
  return { kind: 'read', kept, pending };
}

/**
 * Whether a stored image was made for what this job asks. When either side has no fingerprint
 * (older records, other producers) the stored image is kept, as before fingerprints.
 */
function isSameRequest(existing: Pick<ImageRecord, 'fingerprint'>, data: Pick<ImageJobData, 'fingerprint'>): boolean {
  return existing.fingerprint === undefined || data.fingerprint === undefined || existing.fingerprint === data.fingerprint;
}
