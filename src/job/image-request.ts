import { ValidationError } from '../errors/imgbatch-error.js';
import { z } from 'zod';
import { MAX_INPUT_IMAGES_CEILING } from './edit-input.js';
import { textProblem } from './text-problem.js';

/**
 * An id a user gives a request (a CSV `id` column, an API field). It becomes part of job ids,
 * file names and blob names, so it is restricted to characters that are safe in all three:
 * no `/`, no `..`, no `:` (BullMQ job ids), no names Windows reserves.
 */
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
export const safeIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'may hold only letters, digits, ".", "_" and "-", and must start with a letter or digit')
  .refine((id) => !id.includes('..'), 'must not contain ".."')
  .refine((id) => !id.endsWith('.'), 'must not end with "."')
  .refine((id) => !RESERVED_NAMES.test(id), 'is a reserved file name');

/** Throws ValidationError naming `batchId` when the id is not a safe id (before any key is written with it). */
export function checkBatchId(batchId: string): void {
  const check = safeIdSchema.safeParse(batchId);
  if (!check.success) throw new ValidationError([{ field: 'batchId', reason: check.error.issues.map((i) => i.message).join('; ') }]);
}

/**
 * Free text that reaches the service, the store and exported files: refused when it holds bytes
 * that were not UTF-8, a lone surrogate or a control character (line breaks only where allowed),
 * naming the problem, so one corrupt CSV row is reported instead of sent.
 */
export function cleanTextSchema(options: { readonly allowsLineBreaks: boolean }): z.ZodString {
  return z.string().check((ctx) => {
    const problem = textProblem(ctx.value, options);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
}

const metadataSchema = z.record(z.string(), cleanTextSchema({ allowsLineBreaks: true })).check((ctx) => {
  for (const key of Object.keys(ctx.value)) {
    const problem = textProblem(key, { allowsLineBreaks: false });
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: `column name ${JSON.stringify(key)} ${problem}`, input: key, path: [key] });
  }
});

/** An input image as named: a path, a URL or a store reference, one line of clean text. */
const inputSourceTextSchema = cleanTextSchema({ allowsLineBreaks: false }).trim().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters');

/** Hard ceiling on images for one request; each model also has its own per-call limit. */
export const MAX_IMAGES_PER_REQUEST = 10;

/** What a producer asks for: one prompt, n images. Fan-out turns it into image jobs. */
export const imageRequestSchema = z.strictObject({
  /** Stable id of this request within its batch; defaults to its position (e.g. `row-12`). */
  id: safeIdSchema.optional(),
  prompt: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required and must not be empty' : `${JSON.stringify(issue.input)} is not text`) })
    .trim()
    .min(1, 'must not be empty')
    .pipe(cleanTextSchema({ allowsLineBreaks: true })),
  /** Images wanted for this prompt (default 1). */
  n: z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : `${JSON.stringify(issue.input)} is not a number`) })
    .int({ error: (issue) => `${String(issue.input)} is not a whole number` })
    .min(1, { error: (issue) => `${String(issue.input)} is below the minimum of 1` })
    .max(MAX_IMAGES_PER_REQUEST, { error: (issue) => `${String(issue.input)} is over the maximum of ${MAX_IMAGES_PER_REQUEST}` })
    .default(1),
  /** An image model id from the model table, e.g. `gpt-image-1-mini`. */
  model: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required (an image model id such as gpt-image-1-mini)' : `${JSON.stringify(issue.input)} is not text`) })
    .min(1, 'must not be empty'),
  size: z.string().optional(),
  quality: z.string().optional(),
  style: z.string().optional(),
  outputFormat: z.enum(['png', 'jpeg'], { error: (issue) => `${JSON.stringify(issue.input)} is not allowed (allowed: png, jpeg)` }).optional(),
  outputCompression: z
    .number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number` })
    .int({ error: (issue) => `${String(issue.input)} is not a whole number` })
    .min(0, { error: (issue) => `${String(issue.input)} is outside 0–100` })
    .max(100, { error: (issue) => `${String(issue.input)} is outside 0–100` })
    .optional(),
  background: z.string().optional(),
  /**
   * How the service returns the image, for models that offer a choice (dall-e-3). Default
   * `b64_json`; with `url` the worker downloads the image at once (the URL expires in ~24 h).
   */
  responseFormat: z.enum(['url', 'b64_json']).optional(),
  /** Serve this request only from deployments in this pool (config `pools`); default any of the model's. */
  pool: safeIdSchema.optional(),
  /** End-user id passed to the service for abuse monitoring. */
  user: cleanTextSchema({ allowsLineBreaks: false }).max(256).optional(),
  /**
   * Input images for an edit (`/images/edits`): local paths (CSV only, relative to its folder),
   * https URLs, Azure Blob URLs, or `store:` references. Absent: a generation.
   */
  images: z
    .array(inputSourceTextSchema, { error: (issue) => `${JSON.stringify(issue.input)} is not a list of input images` })
    .min(1, 'must name at least one input image')
    .max(MAX_INPUT_IMAGES_CEILING, { error: (issue) => `${(issue.input as unknown[]).length} input images are over the maximum of ${MAX_INPUT_IMAGES_CEILING}` })
    .optional(),
  /** A PNG mask for the first input image (fully transparent pixels mark where to edit). */
  mask: inputSourceTextSchema.optional(),
  /** `input_fidelity` of an edit, for models that take it (`low`, `high`). */
  inputFidelity: z.string().optional(),
  /** Free-form values carried to the results (CSV extra columns). */
  metadata: metadataSchema.optional(),
}).check((ctx) => {
  if (ctx.value.images !== undefined) return;
  if (ctx.value.mask !== undefined) ctx.issues.push({ code: 'custom', message: 'needs an input image to apply to (an image column or field)', input: ctx.value.mask, path: ['mask'] });
  if (ctx.value.inputFidelity !== undefined) {
    ctx.issues.push({ code: 'custom', message: 'applies only to edits (a request with input images)', input: ctx.value.inputFidelity, path: ['inputFidelity'] });
  }
});

export type ImageRequestInput = z.input<typeof imageRequestSchema>;
export type ImageRequest = z.output<typeof imageRequestSchema>;
