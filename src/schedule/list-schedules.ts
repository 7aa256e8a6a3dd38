import { allJobSchedulers } from './all-job-schedulers.js';
import { scheduleJobSchema } from './schedule-job.js';
import type { ScheduleQueue } from './schedule-queue.js';

export interface ScheduleListing {
  readonly name: string;
  readonly cron: string | undefined;
  readonly tz: string | undefined;
  /** When the next run is due, epoch ms; undefined when BullMQ holds none. */
  readonly nextRunAtMs: number | undefined;
  /** Batch-name template and source file, when the scheduler was made by `schedules sync`. */
  readonly batch: string | undefined;
  readonly file: string | undefined;
}

/** The schedulers on the schedules queue, by name, with their next run. */
export async function listSchedules(queue: ScheduleQueue): Promise<ScheduleListing[]> {
  const schedulers = await allJobSchedulers(queue);
  return schedulers
    .map((scheduler) => {
      const data = scheduleJobSchema.safeParse(scheduler.template?.data);
      return {
        name: scheduler.key,
        cron: scheduler.pattern ?? undefined,
        tz: scheduler.tz ?? undefined,
        nextRunAtMs: scheduler.next ?? undefined,
        batch: data.success ? data.data.batch : undefined,
        file: data.success ? data.data.file : undefined,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
