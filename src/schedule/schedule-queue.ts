import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/redis-connection.js';
import type { Logger } from '../log/logger.js';
import type { KeySpace } from '../queue/key-space.js';
import type { ScheduleJobData } from './schedule-job.js';

/**
 * The queue of schedule runs, apart from the image queue: its jobs are cheap (each turns into
 * a batch), and keeping them off `images` keeps image counts, the job contract and every
 * BullMQ client that adds image jobs untouched. Same prefix, so the same Redis Cluster slot.
 */
export const SCHEDULES_QUEUE_NAME = 'schedules';
/** The BullMQ job name of one run of a schedule. */
export const SCHEDULE_JOB_NAME = 'fire';

export type ScheduleQueue = Queue<ScheduleJobData>;

export function createScheduleQueue(connection: RedisClient, keys: KeySpace, logger: Logger): ScheduleQueue {
  const queue = new Queue<ScheduleJobData>(SCHEDULES_QUEUE_NAME, { connection, prefix: keys.bullPrefix });
  queue.on('error', (error) => {
    logger.error({ err: error }, 'schedules queue error');
  });
  return queue;
}
