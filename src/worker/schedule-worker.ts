import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../queue/redis-connection.js';
import type { Logger } from '../log/logger.js';
import { createKeySpace } from '../queue/key-space.js';
import { createProducer } from '../queue/producer.js';
import { fireSchedule } from '../schedule/fire-schedule.js';
import { scheduleJobSchema } from '../schedule/schedule-job.js';
import { SCHEDULES_QUEUE_NAME } from '../schedule/schedule-queue.js';

export interface ScheduleWorkerOptions {
  /** A connection made with role `worker` (maxRetriesPerRequest: null); the caller owns it. */
  readonly connection: RedisClient;
  /** Key prefix shared with producers; default `imgbatch`. */
  readonly prefix?: string;
  /** Images per call for models that take n > 1, as every enqueue of this cluster uses; default 1. */
  readonly imagesPerCall?: number;
  readonly logger: Logger;
}

export interface ScheduleRunSummary {
  readonly batchId: string;
  /** False when the run's batch had been enqueued before (a repeat firing). */
  readonly isNew: boolean;
  readonly jobsAdded: number;
  readonly imagesAdded: number;
  readonly rejected: number;
}

export interface ScheduleWorker {
  readonly worker: Worker<unknown, ScheduleRunSummary>;
  /** Stops taking runs, lets the one in flight finish its enqueue, closes the worker. */
  close(): Promise<void>;
}

/**
 * When the run was due: BullMQ names a scheduler's jobs `repeat:<scheduler>:<due ms>` and
 * keeps the same time in `opts.prevMillis`. Due time, not start time: a run a busy or
 * restarted worker takes late still gets the batch of its own date.
 */
function dueAtMs(job: Job): number {
  const fromId = Number(job.id?.split(':').pop());
  if (job.id?.startsWith('repeat:') === true && Number.isSafeInteger(fromId) && fromId > 0) return fromId;
  const prev = job.opts.prevMillis;
  if (typeof prev === 'number' && prev > 0) return prev;
  return job.timestamp + (job.opts.delay ?? 0);
}

/** The schedules side of `imgbatch worker`: each due run of a schedule becomes a batch. */
export function createScheduleWorker(options: ScheduleWorkerOptions): ScheduleWorker {
  const { connection, logger } = options;
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  const producer = createProducer({
    connection,
    prefix: options.prefix ?? 'imgbatch',
    ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
    logger,
  });

  const worker = new Worker<unknown, ScheduleRunSummary>(
    SCHEDULES_QUEUE_NAME,
    async (job) => {
      const parsed = scheduleJobSchema.safeParse(job.data);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(job)'}: ${i.message}`).join('; ');
        throw new UnrecoverableError(`not a schedule run (${issues}); run \`imgbatch schedules sync\` to rewrite the scheduler`);
      }
      const schedule = parsed.data;
      const fired = await fireSchedule({ producer, redis: connection, keys }, schedule, dueAtMs(job));
      if (fired.kind === 'already_fired') {
        logger.debug({ schedule: schedule.name, batchId: fired.batchId }, 'schedule run already enqueued; nothing added');
        return { batchId: fired.batchId, isNew: false, jobsAdded: 0, imagesAdded: 0, rejected: 0 };
      }
      const { result } = fired;
      if (result.rejected.length > 0) {
        logger.warn({ schedule: schedule.name, batchId: fired.batchId, rejected: result.rejected.slice(0, 20) }, `schedule ${schedule.name}: ${result.rejected.length} request(s) refused`);
      }
      logger.info(
        { schedule: schedule.name, batchId: fired.batchId, jobsAdded: result.jobsAdded, imagesAdded: result.imagesAdded, rejected: result.rejected.length },
        'schedule fired',
      );
      return { batchId: fired.batchId, isNew: true, jobsAdded: result.jobsAdded, imagesAdded: result.imagesAdded, rejected: result.rejected.length };
    },
    { connection, prefix: keys.bullPrefix, concurrency: 1 },
  );
  worker.on('error', (error) => {
    logger.error({ err: error }, 'schedule worker error');
  });
  worker.on('failed', (job, error) => {
    logger.warn({ jobId: job?.id, error: error.message }, 'schedule run failed');
  });

  return {
    worker,
    async close() {
      await worker.close();
      await producer.close();
    },
  };
}
