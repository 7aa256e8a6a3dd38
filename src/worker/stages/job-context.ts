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
}

export function createJobContext(jobId: string, data: ImageJobData): JobContext {
  return { jobId, data, keyOf: (variant) => imageKey(data.batchId, data.requestId, variant), outcomes: {} };
}
