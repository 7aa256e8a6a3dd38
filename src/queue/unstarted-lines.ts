/**
 * The jobs imgbatch's producer added that no worker has started yet, counted by line: their
 * model, priority and batch, in one hash (KeySpace.unstartedLines). add-jobs.lua counts them
 * up, a job's first start (start-job.lua) counts it down, a cancel drops its batch's lines.
 *
 * A full worker process reads it to tell whether parking a job lets another line into the
 * waiting room (queue-backlog.ts). When every job waiting unfetched is of the parking job's own
 * line, a park only fetches a job that queues behind it: a whole backlog went through BullMQ's
 * delayed set that way (about forty Redis commands a job), for nothing.
 *
 * Approximate, and read so that its errors make jobs park, as they did before it: jobs waiting
 * beyond what it counts (added by other BullMQ clients, put back by a resume or a retry) count
 * as another line; a job that starts without having been counted counts its line down too far,
 * which shows as jobs beyond the count. What it over-counts (a crash between counting and adding,
 * a job refused before its start) shows as another line until the batch is cancelled or enqueued
 * again.
 */
const SEPARATOR = '\u0000';

/** The field of a job's line in the hash. */
export function unstartedLineOf(job: { readonly model: string; readonly priority?: string | undefined; readonly batchId: string }): string {
  return [job.model, job.priority ?? '', job.batchId].join(SEPARATOR);
}

/** The batch of a line's field. */
export function batchOfUnstartedLine(field: string): string {
  return field.slice(field.lastIndexOf(SEPARATOR) + 1);
}
