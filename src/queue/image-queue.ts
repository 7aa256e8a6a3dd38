import { Queue } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { ImageJobData } from '../job/image-job.js';
import { IMAGE_QUEUE_NAME } from '../job/image-job.js';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from './key-space.js';

export type ImageQueue = Queue<ImageJobData>;

/** How long finished jobs stay in Redis; while they do, adding the same job id adds nothing. */
export const KEEP_FINISHED_JOBS_SECONDS = 14 * 24 * 3600;

export function createImageQueue(connection: RedisClient, keys: KeySpace, logger: Logger): ImageQueue {
  const queue = new Queue<ImageJobData>(IMAGE_QUEUE_NAME, {
    connection,
    prefix: keys.bullPrefix,
    defaultJobOptions: {
      // The worker owns every retry (429 waits, transient errors) through delays, so a job
      // added by any BullMQ client behaves the same without setting attempts or backoff.
      attempts: 1,
      removeOnComplete: { age: KEEP_FINISHED_JOBS_SECONDS },
      removeOnFail: { age: KEEP_FINISHED_JOBS_SECONDS },
    },
  });
  queue.on('error', (error) => {
    logger.error({ err: error }, 'image queue error');
  });
  return queue;
}
