/**
 * The jobs imgbatch's producer added that no worker has started yet, counted by line: their
 * model and batch (a batch's jobs share one priority), in one hash (KeySpace.unstartedLines).
 * add-jobs.lua counts them up, a job's first start (start-job.lua) counts it down, a cancel
 * drops its batch's lines.
 *
 * A full worker process reads it to tell whether parking a job whose turn is far lets another
 * line into the waiting room (queue-backlog.ts). When every job waiting unfetched is of the
 * parking job's own line, a park only fetches a job that queues behind it: the whole backlog
 * went through BullMQ's delayed set that way (about forty Redis commands a job), for nothing.
 *
 * Approximate by design, and wrong only on the side of parking as before: jobs added by other
 * BullMQ clients are not counted (a backlog of them counts as unknown: jobs park for it); a job
 * added again without the producer (resume) counts its line down at its first start, and a
 * crash between counting and adding leaves a count up until the batch is cancelled.
 */
const SEPARATOR = '\u0000';

/** The field of a job's line in the hash. */
export function unstartedLineOf(job: { readonly model: string; readonly batchId: string }): string {
  return `${job.model}${SEPARATOR}${job.batchId}`;
}

/** The batch of a line's field. */
export function batchOfUnstartedLine(field: string): string {
  return field.slice(field.indexOf(SEPARATOR) + 1);
}

/**
 * Whether some job waiting unfetched may be of another line than `line`, from a sample of up to
 * two of the hash's fields (HRANDFIELD key 2): two lines mean another one, whichever asks.
 */
export function hasOtherUnstartedLine(sample: readonly string[], line: string): boolean {
  return sample.length >= 2 || (sample.length === 1 && sample[0] !== line);
}
