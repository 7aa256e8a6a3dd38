import { fromMicroUsd } from '../cost/micro-usd.js';
import type { KeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { isJobPriority, type JobPriority } from '../job/job-priority.js';
import { emptyOutcomeCounts, IMAGE_OUTCOMES, type OutcomeCounts } from './image-outcome.js';

/** One batch as the dashboard's home page lists it. */
export interface BatchOverview {
  readonly batchId: string;
  /** Epoch ms of its first enqueue. */
  readonly createdAt: number;
  /** Epoch ms when its last image got an outcome; undefined while it runs. */
  readonly endedAt: number | undefined;
  readonly images: number;
  readonly counts: OutcomeCounts;
  /** Images with no outcome yet. */
  readonly pending: number;
  /** Spent so far, USD. */
  readonly costUsd: number;
  /** Its budget (`--max-cost`), USD; undefined when it has none. */
  readonly maxCostUsd: number | undefined;
  /** The API client that made it; undefined for one made without (CLI, library). */
  readonly client: string | undefined;
  /** Its priority, when an enqueue named one (the batch header's `priority`); undefined: `normal`. */
  readonly priority: JobPriority | undefined;
}

export interface BatchPage {
  /** Newest first. Ids whose data has expired (left in the index until a prune) are left out. */
  readonly batches: readonly BatchOverview[];
  /** Batches in the index that the query matches, this page's and the others. */
  readonly total: number;
}

export interface BatchPageQuery {
  /** Batches to skip, newest first. */
  readonly offset: number;
  readonly limit: number;
  /** Only batches whose id starts with this (an API client's batch prefix); undefined: all. */
  readonly idPrefix?: string | undefined;
}

/** Header fields read per batch, in this order. */
const HEADER_FIELDS = ['createdAt', 'images', 'endedAt', 'spentMicros', 'maxCostMicros', 'client', 'priority'] as const;

/**
 * One page of the batch index, newest first. The index (a sorted set by first enqueue) holds
 * ids only, so a page costs one read of the ids and one pipeline for its own batches' headers
 * and counts, however many batches Redis holds.
 */
export async function listBatchPage(redis: RedisClient, keys: KeySpace, query: BatchPageQuery): Promise<BatchPage> {
  const { offset, limit, idPrefix } = query;
  let ids: string[];
  let total: number;
  if (idPrefix === undefined) {
    [total, ids] = await Promise.all([redis.zcard(keys.batches), redis.zrevrange(keys.batches, offset, offset + limit - 1)]);
  } else {
    const all = (await redis.zrevrange(keys.batches, 0, -1)).filter((id) => id.startsWith(idPrefix));
    total = all.length;
    ids = all.slice(offset, offset + limit);
  }
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.batch(id), ...HEADER_FIELDS).hgetall(keys.batchCounts(id));
  const replies = (await pipeline.exec()) ?? [];
  const batches: BatchOverview[] = [];
  ids.forEach((batchId, index) => {
    const [[headerError, header], [countsError, rawCounts]] = [replies[index * 2] ?? [null, null], replies[index * 2 + 1] ?? [null, null]];
    if (headerError !== null) throw headerError;
    if (countsError !== null) throw countsError;
    const [createdAt, images, endedAt, spentMicros, maxCostMicros, client, priority] = header as Array<string | null>;
    if (createdAt === null || createdAt === undefined) return;
    const counts = emptyOutcomeCounts();
    for (const outcome of IMAGE_OUTCOMES) counts[outcome] = Number((rawCounts as Record<string, string>)[outcome] ?? 0);
    const done = IMAGE_OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);
    const imageCount = Number(images ?? 0);
    batches.push({
      batchId,
      createdAt: Number(createdAt),
      endedAt: endedAt === null || endedAt === undefined ? undefined : Number(endedAt),
      images: imageCount,
      counts,
      pending: Math.max(0, imageCount - done),
      costUsd: fromMicroUsd(Number(spentMicros ?? 0)),
      maxCostUsd: maxCostMicros === null || maxCostMicros === undefined ? undefined : fromMicroUsd(Number(maxCostMicros)),
      client: client ?? undefined,
      priority: isJobPriority(priority) ? priority : undefined,
    });
  });
  return { batches, total };
}
