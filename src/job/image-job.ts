import { z } from 'zod';
import type { FieldIssue } from '../errors/imgbatch-error.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { validateRequestForModel } from '../models/validate-request-for-model.js';
import { editInputsSchema } from './edit-input.js';
import { cleanTextSchema, MAX_IMAGES_PER_REQUEST, safeIdSchema } from './image-request.js';
import { jobPrioritySchema } from './job-priority.js';
import { FINGERPRINT_PATTERN } from './request-fingerprint.js';

/** The BullMQ queue every image job goes through; deployments are chosen per call, not per queue. */
export const IMAGE_QUEUE_NAME = 'images';
/** The BullMQ job name of an image job. */
export const IMAGE_JOB_NAME = 'generate';

export const IMAGE_JOB_VERSION = 1;

/**
 * One call's worth of work: a prompt and the variants (image indexes within the request) the
 * call produces. Versioned, because producers in other languages add these directly. Holds no
 * secrets: BullMQ keeps job data in clear in Redis.
 */
const jobShapeSchema = z.strictObject({
  v: z.literal(IMAGE_JOB_VERSION).describe('Payload version; this contract is version 1.'),
  batchId: safeIdSchema.describe('The batch the image belongs to; results go under <batchId>/ in the store.'),
  requestId: safeIdSchema.describe('The request within the batch; the image is stored as <batchId>/<requestId>-<variant>.'),
  /** Image indexes within the request, 0-based; one per image the call returns. */
  variants: z
    .array(z.number().int().min(0).max(MAX_IMAGES_PER_REQUEST - 1))
    .min(1)
    .max(MAX_IMAGES_PER_REQUEST)
    .describe('Image indexes within the request, 0-based; usually one, [0] for the first image.'),
  prompt: cleanTextSchema({ allowsLineBreaks: true }).min(1).describe('The prompt sent to the images API.'),
  model: z.string().min(1).describe('An image model id, e.g. gpt-image-1-mini; a worker with a deployment of that model serves the job.'),
  size: z.string().describe('Image size the model accepts, e.g. 1024x1024.'),
  quality: z.string().describe('Quality the model accepts, e.g. low, medium, high (gpt-image) or standard, hd (dall-e-3).'),
  style: z.string().optional(),
  outputFormat: z.enum(['png', 'jpeg']).optional(),
  outputCompression: z.number().int().min(0).max(100).optional(),
  background: z.string().optional(),
  user: cleanTextSchema({ allowsLineBreaks: false }).max(256).optional(),
  /** Only deployments in this pool may serve the job. */
  pool: z.string().optional().describe('Only deployments in this pool may serve the job.'),
  /** dall-e-3 only; the gpt-image family refuses the parameter and always answers b64_json. */
  responseFormat: z.enum(['url', 'b64_json']).optional(),
  /** Present: an `/images/edits` call with these inputs; absent: a generation. */
  edit: editInputsSchema.optional().describe('Present for an edit (/images/edits): its input images, mask and input_fidelity. Absent: a generation from the prompt alone.'),
  metadata: z.record(z.string(), cleanTextSchema({ allowsLineBreaks: true })).optional().describe('Free-form values copied into the image record.'),
  fingerprint: z
    .string()
    .regex(FINGERPRINT_PATTERN, 'must be 32 lowercase hex digits')
    .optional()
    .describe(
      'A hash of what was asked (see requestFingerprint), copied into the image record. A stored image whose record carries another fingerprint is made again (and imgbatch enqueue keeps the old one aside first). Absent: a stored image is kept whatever it was made from.',
    ),
  priority: jobPrioritySchema
    .optional()
    .describe("Who gets the deployments' next slots first: high, normal (absent means normal) or bulk; batches of one priority take turns."),
  /** When the producer enqueued it, epoch ms. */
  enqueuedAt: z.number().int().describe('When the job was added, epoch milliseconds; the wait bound counts from here.'),
});

/**
 * The job as stored: its shape, and no image index twice. What the model takes is checked
 * apart (checkJobForModel), by the worker, against the catalogue it runs with: reading a job
 * (a manifest, a resume) must not depend on the model still being known or in service.
 */
export const imageJobSchema = jobShapeSchema.check((ctx) => {
  const job = ctx.value;
  if (new Set(job.variants).size !== job.variants.length) ctx.issues.push({ code: 'custom', message: 'lists an image index twice', input: job, path: ['variants'] });
});

export type ImageJobData = z.output<typeof imageJobSchema>;

/** Job field names for the request fields validateRequestForModel names as CSV columns. */
const JOB_FIELD_OF: Readonly<Record<string, string>> = {
  output_format: 'outputFormat',
  output_compression: 'outputCompression',
  response_format: 'responseFormat',
  image: 'edit.images',
  input_fidelity: 'edit.inputFidelity',
};

/**
 * What the model takes, checked on a job (the same rules the producer applies before
 * enqueueing), so a job added by another BullMQ client with an unknown model, a size the model
 * lacks, a prompt over its limit or more images than one call makes is rejected naming the
 * field, before any call. Fields are named as in the job.
 */
export function checkJobForModel(job: ImageJobData, models: ModelCatalogue): FieldIssue[] {
  const { edit, ...rest } = job;
  const request = {
    ...rest,
    n: job.variants.length,
    ...(edit !== undefined && { images: edit.images.map((image) => image.source) }),
    ...(edit?.inputFidelity !== undefined && { inputFidelity: edit.inputFidelity }),
  };
  const issues = validateRequestForModel(request, models).map((issue) => ({ ...issue, field: JOB_FIELD_OF[issue.field] ?? issue.field }));
  const model = models.find(job.model);
  if (model !== undefined && job.variants.length > model.maxImagesPerCall) {
    issues.push({ field: 'variants', reason: `${job.variants.length} images in one call is over ${model.id}'s limit of ${model.maxImagesPerCall}` });
  }
  return issues;
}

/** Where one image lives, relative to a store's root: `<batch>/<request>-<variant>`. */
export function imageKey(batchId: string, requestId: string, variant: number): string {
  return `${batchId}/${requestId}-${variant}`;
}

export function imageKeysOf(job: Pick<ImageJobData, 'batchId' | 'requestId' | 'variants'>): string[] {
  return job.variants.map((variant) => imageKey(job.batchId, job.requestId, variant));
}

/**
 * Deterministic BullMQ job id: the same batch, request and variants always give the same id,
 * so adding it twice adds nothing. Contains no `:` and is never all digits.
 */
export function imageJobId(job: Pick<ImageJobData, 'batchId' | 'requestId' | 'variants'>): string {
  const first = job.variants[0] ?? 0;
  const last = job.variants[job.variants.length - 1] ?? first;
  const span = first === last ? `v${first}` : `v${first}-${last}`;
  return `${job.batchId}/${job.requestId}/${span}`;
}

const IMAGE_JOB_ID = /^([^/]+)\/([^/]+)\/v(\d+)(?:-(\d+))?$/;

/**
 * The inverse of imageJobId: which images a job id stands for. Undefined for an id of another
 * shape (a job some other BullMQ client added under its own id).
 */
export function parseImageJobId(jobId: string): Pick<ImageJobData, 'batchId' | 'requestId' | 'variants'> | undefined {
  const match = IMAGE_JOB_ID.exec(jobId);
  if (match === null) return undefined;
  const [, batchId = '', requestId = '', firstText = '0', lastText] = match;
  const first = Number(firstText);
  const last = lastText === undefined ? first : Number(lastText);
  if (last < first || last - first > 100) return undefined;
  const variants: number[] = [];
  for (let v = first; v <= last; v++) variants.push(v);
  return { batchId, requestId, variants };
}
