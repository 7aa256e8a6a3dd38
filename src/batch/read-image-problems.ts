import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { fromBatchField } from './batch-field.js';
import { IMAGE_OUTCOMES, isOutcomeReason, type ImageOutcome, type OutcomeReason } from './image-outcome.js';

/** One image that ended without being made (failed, rejected, skipped), as people and code read it. */
export interface ImageProblem {
  readonly imageKey: string;
  readonly outcome: ImageOutcome;
  /** The code code acts on; absent for an image recorded before imgbatch kept codes. */
  readonly reason?: OutcomeReason;
  /** What happened, for people. */
  readonly message: string;
}

/** A bounded view of a batch's problems: how many there are, and the first `limit` of them by key. */
export interface ImageProblems {
  /** Images of the batch with an error message now (failed, rejected, skipped). */
  readonly total: number;
  /** At most `limit` of them, by image key; all of them when `total` ≤ `limit`. */
  readonly images: readonly ImageProblem[];
}

/** Fields read per HSCAN step. */
const SCAN_COUNT = 200;

/**
 * The images of a batch that ended with an error, with their reason code and message, read
 * from the batch's `:errors` and `:reasons` hashes. At most `limit` are read (by HSCAN, a page
 * at a time), so a status of a batch of a million failed images stays small; which ones is up
 * to Redis's scan order, and they come back sorted by key.
 */
export async function readImageProblems(redis: RedisClient, keys: KeySpace, batchId: string, limit: number): Promise<ImageProblems> {
  const errorsKey = keys.batchErrors(batchId);
  const messages = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(errorsKey, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (let i = 0; i + 1 < flat.length && messages.size < limit; i += 2) {
      const field = flat[i];
      const message = flat[i + 1];
      if (field !== undefined && message !== undefined) messages.set(field, message);
    }
  } while (cursor !== '0' && messages.size < limit);
  const fields = [...messages.keys()].sort();
  const total = await redis.hlen(errorsKey);
  if (fields.length === 0) return { total, images: [] };
  const [outcomes, reasons] = await Promise.all([redis.hmget(keys.batchOutcomes(batchId), ...fields), redis.hmget(keys.batchReasons(batchId), ...fields)]);
  const images: ImageProblem[] = [];
  fields.forEach((field, i) => {
    // An outcome changed between the reads (the image was made again meanwhile): not a problem now.
    const outcome = IMAGE_OUTCOMES.find((o) => o === outcomes[i]);
    if (outcome === undefined || outcome === 'stored' || outcome === 'filtered') return;
    const reason = reasons[i];
    images.push({ imageKey: fromBatchField(batchId, field), outcome, ...(isOutcomeReason(reason) && { reason }), message: messages.get(field) ?? '' });
  });
  return { total, images };
}
