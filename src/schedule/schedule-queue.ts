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

/**
 * How long runs stay in Redis once done: enough to look at last week's runs (a finished run's
 * return value says whether it made a new batch, and is kept nowhere else), and at most 1000,
 * so a schedule firing every second keeps Redis bounded.
 */
export const KEEP_SCHEDULE_RUNS = { age: 7 * 24 * 3600, count: 1_000 } as const;

export function createScheduleQueue(connection: RedisClient, keys: KeySpace, logger: Logger): ScheduleQueue {
  const queue = new Queue<ScheduleJobData>(SCHEDULES_QUEUE_NAME, {
    connection,
    prefix: keys.bullPrefix,
    // For every run, also of a scheduler upserted by another tool without these options (a
    // scheduler's template merges over them); syncSchedules sets the same.
    defaultJobOptions: { removeOnComplete: KEEP_SCHEDULE_RUNS, removeOnFail: KEEP_SCHEDULE_RUNS },
  });
  queue.on('error', (error) => {
    logger.error({ err: error }, 'schedules queue error');
  });
  return queue;
}
