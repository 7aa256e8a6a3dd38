import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { isOutcomeReason, type OutcomeReason } from './image-outcome.js';

/** Fields read per HSCAN step. */
const SCAN_COUNT = 1_000;

/**
 * How many images of the batch ended with each reason code (failed, rejected, skipped), from
 * its `:reasons` hash, read a page at a time. The hash holds only the images that were not
 * made, so a healthy batch is read in one step; the fields seen are remembered because HSCAN
 * may return one twice while Redis resizes the hash.
 */
export async function countOutcomeReasons(redis: RedisClient, keys: KeySpace, batchId: string): Promise<Partial<Record<OutcomeReason, number>>> {
  const counts: Partial<Record<OutcomeReason, number>> = {};
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(keys.batchReasons(batchId), cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] ?? '';
      const reason = flat[i + 1];
      if (seen.has(field) || !isOutcomeReason(reason)) continue;
      seen.add(field);
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
  } while (cursor !== '0');
  return counts;
}
