import { z } from 'zod';
import { IMAGE_JOB_NAME, IMAGE_JOB_VERSION, IMAGE_QUEUE_NAME, imageJobSchema } from './image-job.js';

/** Where the generated contract lives in the repository; other-language producers read it from here. */
export const JOB_CONTRACT_PATH = 'contracts/image-job.schema.json';

/**
 * The JSON Schema of an image job's data, for BullMQ producers in any language. Generated
 * from the same zod schema the worker validates with, so the two cannot drift apart; the
 * `npm run contract` script writes it and a unit test fails when the committed file is stale.
 */
export function buildJobContract(): Record<string, unknown> {
  // `io: 'input'`: the contract describes what a producer writes, before any zod transform.
  const schema = z.toJSONSchema(imageJobSchema, { io: 'input' });
  const { $schema, ...rest } = schema;
  return {
    $schema,
    $id: `urn:imgbatch:contracts:image-job:v${IMAGE_JOB_VERSION}`,
    title: `imgbatch image job, version ${IMAGE_JOB_VERSION}`,
    description: [
      `The data of one imgbatch image job (one API call). Add it with any BullMQ client to the queue "${IMAGE_QUEUE_NAME}",`,
      `job name "${IMAGE_JOB_NAME}", key prefix "{imgbatch}" (the prefix in braces, a Redis Cluster hash tag; IMGBATCH_REDIS_PREFIX changes the name inside).`,
      'Use the job id "<batchId>/<requestId>/v<variant>" (e.g. "spring-sale/mug-red/v0"; "v<first>-<last>" for a job of several variants),',
      'so adding the same job twice adds nothing and `imgbatch cancel` finds it; ids must not contain ":".',
      'Ids (batchId, requestId) also must not contain "..", end with ".", or be a name Windows reserves (con, nul, com1, ...).',
      'The worker owns retries: add the job with attempts 1 (the default) and, like imgbatch, removeOnComplete/removeOnFail { age: 1209600 }.',
      'A job that does not match this schema ends with the outcome "rejected" and a reason naming the field.',
      'So does one the model cannot serve (a model imgbatch does not know; a size, quality, style or background the model lacks; a prompt over its limit; more variants than one call makes),',
      'and text that is not valid Unicode or holds control characters (the prompt and metadata may hold tabs and line breaks).',
      'An edit (/images/edits) carries `edit`: its input images (and mask) as references the worker can read, "store:<batchId>/inputs/<sha256>.<png|jpeg>" or an https URL, each with the SHA-256 of its bytes.',
      'Never put image bytes in a job. Before the call the worker reads every input, checks its hash and its type (PNG or JPEG under the model\'s limit; a mask a PNG with alpha and the first image\'s dimensions),',
      'and ends an image whose input cannot be read or changed since (a different hash) as "failed", and one whose input breaks the rules as "rejected", with the reason and no call.',
    ].join(' '),
    ...rest,
  };
}

/** The contract as the committed file holds it: two-space JSON and a final newline. */
export function formatJobContract(): string {
  return `${JSON.stringify(buildJobContract(), null, 2)}\n`;
}
