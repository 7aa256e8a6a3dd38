import { ValidationError } from '../errors/imgbatch-error.js';
import { allJobSchedulers } from './all-job-schedulers.js';
import { KEEP_SCHEDULE_RUNS, SCHEDULE_JOB_NAME, type ScheduleQueue } from './schedule-queue.js';
import type { ScheduleJobData } from './schedule-job.js';

export interface SyncResult {
  /** Schedulers created or updated, by name. */
  readonly upserted: readonly string[];
  /** Schedulers removed because no file defines them any more. */
  readonly removed: readonly string[];
}

/**
 * Makes the queue's job schedulers match the schedule files: each file's scheduler is upserted
 * (cron pattern and time zone, the schedule itself as the job template), and every scheduler no
 * file names any more is removed. The queue is dedicated to schedules, so the folder synced is
 * the whole truth about it. Upserts go first: a pattern BullMQ refuses stops the sync before
 * anything is removed, with the file and field named.
 */
export async function syncSchedules(queue: ScheduleQueue, schedules: readonly ScheduleJobData[]): Promise<SyncResult> {
  const upserted: string[] = [];
  for (const schedule of schedules) {
    try {
      await queue.upsertJobScheduler(
        schedule.name,
        { pattern: schedule.cron, tz: schedule.tz },
        {
          name: SCHEDULE_JOB_NAME,
          data: schedule,
          // A run that fails (Redis blip, CSV unreadable) is tried again; the batch name is the
          // run's, so a retry adds only what the failed try did not.
          opts: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: KEEP_SCHEDULE_RUNS, removeOnFail: KEEP_SCHEDULE_RUNS },
        },
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ValidationError([{ location: schedule.file, field: 'cron', reason: `BullMQ refused "${schedule.cron}" in ${schedule.tz}: ${reason}` }], { cause: error });
    }
    upserted.push(schedule.name);
  }
  const wanted = new Set(upserted);
  const removed: string[] = [];
  for (const scheduler of await allJobSchedulers(queue)) {
    if (wanted.has(scheduler.key)) continue;
    await queue.removeJobScheduler(scheduler.key);
    removed.push(scheduler.key);
  }
  return { upserted, removed };
}
