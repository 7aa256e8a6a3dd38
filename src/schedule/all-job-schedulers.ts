import type { ScheduleQueue } from './schedule-queue.js';

type JobSchedulers = Awaited<ReturnType<ScheduleQueue['getJobSchedulers']>>;

/** Every job scheduler on the queue, a page at a time. */
export async function allJobSchedulers(queue: ScheduleQueue): Promise<JobSchedulers> {
  const page = 100;
  const all: JobSchedulers = [];
  for (let start = 0; ; start += page) {
    const schedulers = await queue.getJobSchedulers(start, start + page - 1, true);
    all.push(...schedulers);
    if (schedulers.length < page) return all;
  }
}
