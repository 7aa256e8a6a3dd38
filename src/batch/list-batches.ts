import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { DEFAULT_JOB_PRIORITY, isJobPriority, type JobPriority } from '../job/job-priority.js';
import { emptyOutcomeCounts, IMAGE_OUTCOMES, type OutcomeCounts } from './image-outcome.js';

/** One batch Redis still holds, as `imgbatch batches list` shows it. */
export interface BatchListing {
  readonly batchId: string;
  /** Epoch ms of its first enqueue. */
  readonly createdAt: number | undefined;
  readonly images: number;
  readonly counts: OutcomeCounts;
  /** Images with no outcome yet. */
  readonly pending: number;
  /** Epoch ms when its last image got an outcome; undefined while it runs. */
  readonly endedAt: number | undefined;
  /** Epoch ms when its keys expire (a retention after it ended); undefined while it runs. */
  readonly expiresAt: number | undefined;
  /** The priority its latest enqueue named (new rows get it); `normal` when none did. */
  readonly priority: JobPriority;
}

export interface BatchIndexPage {
  /** Batches whose data Redis holds, oldest first. */
  readonly batches: readonly BatchListing[];
  /** Ids in the batch index whose data has expired (`imgbatch batches prune` drops them). */
  readonly expiredIds: readonly string[];
}

/** Ids read from the batch index per round trip. */
const PAGE = 500;

/**
 * Every batch in the batch index (oldest first) with its counts and lifetime. The index is a
 * sorted set, which cannot expire member by member: an id whose batch has expired stays in it
 * until a prune, and is reported apart.
 */
export async function listBatches(redis: RedisClient, keys: KeySpace, nowMs: number = Date.now()): Promise<BatchIndexPage> {
  const batches: BatchListing[] = [];
  const expiredIds: string[] = [];
  for (let start = 0; ; start += PAGE) {
    const ids = await redis.zrange(keys.batches, start, start + PAGE - 1);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.batch(id), 'createdAt', 'images', 'endedAt', 'priority').hgetall(keys.batchCounts(id)).pttl(keys.batch(id));
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((batchId, index) => {
      const [header, rawCounts, ttl] = [0, 1, 2].map((offset) => {
        const [error, value] = replies[index * 3 + offset] ?? [null, null];
        if (error !== null) throw error;
        return value;
      }) as [Array<string | null>, Record<string, string>, number];
      const [createdAt, images, endedAt, priority] = header;
      if (createdAt === null || createdAt === undefined) {
        expiredIds.push(batchId);
        return;
      }
      const counts = emptyOutcomeCounts();
      for (const outcome of IMAGE_OUTCOMES) counts[outcome] = Number(rawCounts[outcome] ?? 0);
      const done = IMAGE_OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);
      const imageCount = Number(images ?? 0);
      const ended = endedAt === null || endedAt === undefined ? undefined : Number(endedAt);
      batches.push({
        batchId,
        createdAt: Number(createdAt),
        images: imageCount,
        counts,
        pending: Math.max(0, imageCount - done),
        endedAt: ended,
        expiresAt: ended === undefined || ttl < 0 ? undefined : nowMs + ttl,
        priority: isJobPriority(priority) ? priority : DEFAULT_JOB_PRIORITY,
      });
    });
    if (ids.length < PAGE) break;
  }
  return { batches, expiredIds };
}
