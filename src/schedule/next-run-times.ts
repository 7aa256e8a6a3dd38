import { CronExpressionParser } from 'cron-parser';

/**
 * The next `count` times (epoch ms) a cron pattern is due after `afterMs`, in `timeZone`. The
 * same computation as BullMQ's job schedulers: BullMQ 6's `defaultRepeatStrategy`
 * (classes/job-scheduler.js) calls cron-parser's `CronExpressionParser.parse(pattern, { tz,
 * currentDate })` and takes `next()`; cron-parser is pinned to the version BullMQ depends on, so
 * what sync checks is what the worker will be handed. Throws cron-parser's Error for a pattern it
 * refuses (a value out of range, an unknown nickname), as BullMQ would at upsert.
 */
export function nextRunTimes(pattern: string, timeZone: string, afterMs: number, count: number): number[] {
  const interval = CronExpressionParser.parse(pattern, { currentDate: new Date(afterMs), tz: timeZone });
  const times: number[] = [];
  while (times.length < count && interval.hasNext()) times.push(interval.next().getTime());
  return times;
}
