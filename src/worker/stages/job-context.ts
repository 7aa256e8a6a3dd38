import type { ImageOutcome } from '../../batch/image-outcome.js';
import { imageKey, type ImageJobData } from '../../job/image-job.js';

/** One run of one image job, as every stage sees it. */
export interface JobContext {
  readonly jobId: string;
  readonly data: ImageJobData;
  /** Image key of one of the job's variants. */
  keyOf(variant: number): string;
  /** Image key -> the outcome this run recorded (what the job's summary reports). */
  readonly outcomes: Record<string, ImageOutcome>;
  /**
   * The token of the BullMQ lock this run holds the job by: a call is opened only while the
   * job's lock is still this token (open-call.lua), so a run that lost the job (its lock
   * expired in a Redis pause and another run took it) makes no call. Undefined outside a
   * BullMQ worker (a processor run by a test or a tool): nothing is checked.
   */
  readonly lockToken: string | undefined;
}

export function createJobContext(jobId: string, data: ImageJobData, lockToken?: string): JobContext {
  return { jobId, data, keyOf: (variant) => imageKey(data.batchId, data.requestId, variant), outcomes: {}, lockToken };
}
