import { imageJobIdentitySchema } from '../job/image-job-identity.js';
import { luaCommand, defineLuaCommands } from '../lua/lua-command.js';
import type { ImageQueue } from '../queue/image-queue.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { fromBatchField } from './batch-field.js';
import { listBatches } from './list-batches.js';

export interface PruneDeps {
  readonly redis: RedisClient;
  readonly keys: KeySpace;
  /** The image queue, for the finished jobs the batch kept (failed and skipped images). */
  readonly queue: ImageQueue;
}

export interface PruneResult {
  /** Ended batches removed, with every key of theirs. */
  readonly pruned: readonly string[];
  /** Finished BullMQ jobs of those batches removed with them. */
  readonly jobsRemoved: number;
  /** Ids dropped from the batch index whose data had already expired. */
  readonly expired: readonly string[];
}

const FORGET_BATCH = luaCommand('imgbatchForgetBatch', new URL('./lua/forget-batch.lua', import.meta.url), 2);

interface PruneCommands {
  imgbatchForgetBatch(header: string, index: string, batchId: string, cutoffMs: number): Promise<number>;
}

/** BullMQ states of a job no worker will take again by itself. */
const FINISHED_STATES = new Set(['completed', 'failed']);

async function jobIdsOf(redis: RedisClient, keys: KeySpace, batchId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await redis.sscan(keys.batchJobs(batchId), cursor, 'COUNT', 1000);
    cursor = next;
    ids.push(...page.map((field) => fromBatchField(batchId, field)));
  } while (cursor !== '0');
  return ids;
}

/**
 * Removes, now, every batch that ended at or before `cutoffMs` (epoch ms): its keys, its entry
 * in the batch index, and the finished jobs BullMQ keeps for it. A batch still running, or
 * enqueued again since it ended, is left alone (checked atomically by forget-batch.lua). Also
 * drops index entries of batches that have already expired. The store is not touched.
 */
export async function pruneBatches(deps: PruneDeps, cutoffMs: number): Promise<PruneResult> {
  defineLuaCommands(deps.redis, [FORGET_BATCH]);
  const commands = deps.redis as unknown as PruneCommands;
  const { batches, expiredIds } = await listBatches(deps.redis, deps.keys);
  const pruned: string[] = [];
  let jobsRemoved = 0;
  for (const batch of batches) {
    if (batch.endedAt === undefined || batch.endedAt > cutoffMs) continue;
    // Read before the keys go; removed only once the batch is known to be gone.
    const jobIds = await jobIdsOf(deps.redis, deps.keys, batch.batchId);
    if ((await commands.imgbatchForgetBatch(deps.keys.batch(batch.batchId), deps.keys.batches, batch.batchId, cutoffMs)) !== 1) continue;
    pruned.push(batch.batchId);
    for (const jobId of jobIds) {
      const job = await deps.queue.getJob(jobId);
      if (job === undefined) continue;
      const identity = imageJobIdentitySchema.safeParse(job.data);
      if (!identity.success || identity.data.batchId !== batch.batchId) continue;
      if (!FINISHED_STATES.has(await job.getState())) continue;
      await job.remove();
      await deps.redis.del(deps.keys.jobState(jobId));
      jobsRemoved++;
    }
  }
  const expired: string[] = [];
  for (const batchId of expiredIds) {
    // Checked again in the script: the id may be a new batch's by now.
    if ((await commands.imgbatchForgetBatch(deps.keys.batch(batchId), deps.keys.batches, batchId, cutoffMs)) === 2) expired.push(batchId);
  }
  return { pruned, jobsRemoved, expired };
}
