import { Queue } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { ImageJobData } from '../job/image-job.js';
import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from './key-space.js';

export type ImageQueue = Queue<ImageJobData>;

/**
 * How long failed jobs stay in Redis, with their data: `imgbatch resume` retries them from it
 * (failed and budget-skipped images). As long as a batch's own keys are kept by default, and
 * failed jobs are few, so their data costs little.
 */
export const KEEP_FAILED_JOBS_SECONDS = 30 * 24 * 3600;

/**
 * Entries kept in the queue's BullMQ event stream (BullMQ's default is 10,000, about 1 MB).
 * No imgbatch module reads it; the last entries stay for an operator's QueueEvents.
 */
export const IMAGE_QUEUE_EVENTS_MAX_LEN = 1_000;

export function createImageQueue(connection: RedisClient, keys: KeySpace, logger: Logger): ImageQueue {
  const queue = new Queue<ImageJobData>(IMAGE_QUEUE_NAME, {
    connection,
    prefix: keys.bullPrefix,
    streams: { events: { maxLen: IMAGE_QUEUE_EVENTS_MAX_LEN } },
    defaultJobOptions: {
      // The worker owns every retry (429 waits, transient errors) through delays, so a job
      // added by any BullMQ client behaves the same without setting attempts or backoff.
      attempts: 1,
      // A completed job's outcome is in the batch registry and its image in the store, so its
      // data (about 1.2 KB of Redis) goes at once. Nothing needs it: enqueueing the same
      // request again adds a job that finds the image in the store and costs nothing, and
      // `resume` re-adds jobs from the batch's requests only for what is not stored.
      removeOnComplete: true,
      // Failed jobs (budget-skipped images among them) are kept for `imgbatch resume`.
      removeOnFail: { age: KEEP_FAILED_JOBS_SECONDS },
    },
  });
  queue.on('error', (error) => {
    logger.error({ err: error }, 'image queue error');
  });
  return queue;
}
