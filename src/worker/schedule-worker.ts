import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createRedisClient, type RedisClient, type RedisTarget } from '../queue/redis-connection.js';
import type { Logger } from '../log/logger.js';
import { createKeySpace } from '../queue/key-space.js';
import { createProducer, type EditInputsOptions } from '../queue/producer.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { fireSchedule } from '../schedule/fire-schedule.js';
import { scheduleJobSchema } from '../schedule/schedule-job.js';
import { SCHEDULES_QUEUE_NAME } from '../schedule/schedule-queue.js';

export interface ScheduleWorkerOptions {
  /** A connection made with role `worker` (maxRetriesPerRequest: null), for taking runs; the caller owns it. */
  readonly connection: RedisClient;
  /**
   * The same Redis as `connection`, as a URL or target: the runs' batches are enqueued through
   * a producer connection of its own (role `producer`), closed by close().
   */
  readonly redis: string | RedisTarget;
  /** Key prefix shared with producers; default `imgbatch`. */
  readonly prefix?: string;
  /** Images per call for models that take n > 1, as every enqueue of this cluster uses; default 1. */
  readonly imagesPerCall?: number;
  /** Reads and copies input images of scheduled edits (see ProducerOptions.editInputs); default none: such rows are refused. */
  readonly editInputs?: EditInputsOptions;
  /** The models runs' requests are checked against; default the built-in ones (pass `config.models`). */
  readonly models?: ModelCatalogue;
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
  /** Stops taking runs, lets the one in flight finish its enqueue, closes the worker and its producer connection. */
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

/** An epoch-ms time for a log line; a mark that is not one (written by hand) must not crash the run. */
function isoTime(atMs: number): string {
  return Number.isFinite(atMs) ? new Date(atMs).toISOString() : 'an unknown time';
}

/** The schedules side of `imgbatch worker`: each due run of a schedule becomes a batch. */
export function createScheduleWorker(options: ScheduleWorkerOptions): ScheduleWorker {
  const { connection, logger } = options;
  const keys = createKeySpace(options.prefix ?? 'imgbatch');
  // A run enqueues as any producer does, and fails fast like one: on the worker's connection
  // (maxRetriesPerRequest: null) a Redis outage would hold the run, and the worker's single
  // slot, for as long as the outage lasts; failed, it is retried with backoff (sync's attempts).
  const producerConnection = createRedisClient(options.redis, 'producer');
  const producer = createProducer({
    connection: producerConnection,
    prefix: options.prefix ?? 'imgbatch',
    ...(options.imagesPerCall !== undefined && { imagesPerCall: options.imagesPerCall }),
    ...(options.editInputs !== undefined && { editInputs: options.editInputs }),
    ...(options.models !== undefined && { models: options.models }),
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
      const dueMs = dueAtMs(job);
      const fired = await fireSchedule({ producer, redis: producerConnection, keys }, schedule, dueMs);
      if (fired.kind === 'already_fired') {
        const firedByDueAt = isoTime(fired.firedByDueAtMs);
        const why =
          fired.firedByDueAtMs === dueMs
            ? 'this run had already enqueued it (a repeat firing)'
            : `the run due ${firedByDueAt} had already enqueued it: the template "${schedule.batch}" gives both runs one name; ` +
              'run `imgbatch schedules sync`, which refuses such a template and says what to use';
        logger.warn(
          { schedule: schedule.name, batchId: fired.batchId, dueAt: isoTime(dueMs), firedByDueAt },
          `schedule ${schedule.name}: run due ${isoTime(dueMs)} added nothing to batch ${fired.batchId}: ${why}`,
        );
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
      await producerConnection.quit().catch(() => undefined);
    },
  };
}
