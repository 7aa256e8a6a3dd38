import { z } from 'zod';
import type { ResumeResult } from '../batch/resume-batch.js';

/*
 * The shapes of resuming a batch over HTTP (POST /v1/batches/:batchId/resume, .../retry-failed)
 * and of what enqueueing into an existing batch reports (changed rows, the resume it ran).
 */

const count = (description: string): z.ZodNumber => z.number().int().min(0).describe(description);

/** What `imgbatch resume` (and `--json`) reports; see resumeBatch. */
export const resumeResultSchema = z.strictObject({
  forgottenOutcomes: count('Images counted as stored or filtered whose record is missing from the store, counted as pending again'),
  requeued: count('Finished jobs whose images were missing from the store, added again'),
  retried: count('Failed jobs given a fresh set of attempts'),
  forgotten: count('Jobs Redis no longer holds (past their retention); enqueue the rows again to bring them back'),
  uncancelled: count('Cancelled images whose jobs are queued again'),
  unskipped: count("Images skipped for the batch's budget whose jobs are queued again"),
  releasedReservations: count('Budget reservations of calls no worker has in flight, given back'),
});

/** What enqueueing into a batch that exists adds to the enqueue result; see enqueueIntoBatch. */
export const reenqueueFieldsSchema = z.strictObject({
  changed: z
    .array(z.string())
    .describe('Ids of requests the batch held with another prompt, model, size, quality, style, format or input: kept as they were unless `redoChanged`'),
  redoneImages: count('Images of changed requests queued to be made again (`redoChanged`); the previous ones are kept in the store under `<batch>/previous/`'),
  changedInFlight: z.array(z.string()).describe('Changed requests a worker was making right then, left as they were although `redoChanged` asked; enqueue again once they are done'),
  resumed: resumeResultSchema.optional().describe('The resume the enqueue ran on a batch that existed; absent for a new batch'),
});

/** The body of POST /v1/batches/:batchId/resume and .../retry-failed; optional as a whole. */
export const resumeBodySchema = z
  .strictObject({
    maxCostUsd: z
      .number({ error: 'must be an amount in USD, 0 or more' })
      .min(0, 'must be an amount in USD, 0 or more')
      .optional()
      .describe('A new budget for the batch, USD, set before anything is queued again. Default: the budget it has.'),
  })
  .optional();

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/** Does not compile when resumeBatch's result and the documented schema drift apart. */
const _resumeFits: [ResumeResult] extends [DeepReadonly<z.input<typeof resumeResultSchema>>] ? true : never = true;
