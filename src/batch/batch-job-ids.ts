import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { fromBatchField } from './batch-field.js';

/** The job ids a batch holds (its job set, SSCAN), about `pageSize` at a time. */
export async function* batchJobIds(redis: RedisClient, keys: KeySpace, batchId: string, pageSize: number): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, fields] = await redis.sscan(keys.batchJobs(batchId), cursor, 'COUNT', pageSize);
    cursor = next;
    if (fields.length > 0) yield fields.map((field) => fromBatchField(batchId, field));
  } while (cursor !== '0');
}
