import { z } from 'zod';
import { safeIdSchema } from '../job/image-request.js';
import { jobPrioritySchema } from '../job/job-priority.js';

export const SCHEDULE_JOB_VERSION = 1;

/**
 * What a schedule's BullMQ job scheduler hands the worker at every run: the schedule as
 * `schedules sync` read it, with the CSV path made absolute. The worker needs nothing else (not
 * the schedule file), so what runs is what was last synced. Holds no secrets: BullMQ keeps it
 * in clear in Redis.
 */
export const scheduleJobSchema = z.strictObject({
  v: z.literal(SCHEDULE_JOB_VERSION),
  /** The scheduler id: the file's `name`, or its file name without `.schedule.json`. */
  name: safeIdSchema,
  /** The schedule file it came from, as given to sync; for messages only. */
  file: z.string(),
  cron: z.string().min(1),
  tz: z.string().min(1),
  /** Batch-name template, e.g. `banners-{date}`. */
  batch: z.string().min(1),
  source: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('csv'),
      /** Absolute path, resolved against the schedule file's folder; read by the worker at each run. */
      path: z.string().min(1),
      /** Model for rows whose model cell is empty. */
      defaultModel: z.string().min(1).optional(),
      /** Prompt template filled from each row's columns. */
      promptTemplate: z.string().min(1).optional(),
    }),
    z.strictObject({ kind: z.literal('requests'), requests: z.array(z.unknown()).min(1) }),
  ]),
  /** Budget of each run's batch, USD. */
  maxCostUsd: z.number().positive().optional(),
  /** Priority of each run's jobs; absent: normal. */
  priority: jobPrioritySchema.optional(),
  /** Where each run's batch sends its webhook events (checked against the allow-list at sync; the workers check again at delivery). */
  callback: z.strictObject({ url: z.string().min(1), perImage: z.boolean() }).optional(),
});

export type ScheduleJobData = z.output<typeof scheduleJobSchema>;
