import { z } from 'zod';

/**
 * Most input images one request may name, whatever the model: a bound on parsing. Each model
 * has its own limit (ModelCapabilities.edits.maxInputImages, 16 on the gpt-image family).
 */
export const MAX_INPUT_IMAGES_CEILING = 64;

const STORE_PREFIX = 'store:';
const STORE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*\/inputs\/[0-9a-f]{64}\.(png|jpeg)$/;

/**
 * Where an input image comes from, as a request or a job names it:
 * - `store`: `store:<batch>/inputs/<sha256>.<png|jpeg>`, a copy in the result store;
 * - `url`: an `http(s)://` URL (fetched under the outbound rules; an Azure Blob URL of the
 *   configured storage account is read with its credential);
 * - `path`: anything else, a local file (only in a CSV, relative to the CSV's folder).
 */
export type InputSource =
  | { readonly kind: 'store'; readonly key: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'path'; readonly path: string };

export function parseInputSource(text: string): InputSource {
  if (text.startsWith(STORE_PREFIX)) return { kind: 'store', key: text.slice(STORE_PREFIX.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { kind: 'url', url: text };
  return { kind: 'path', path: text };
}

/** The source text of a store copy, as jobs carry it. */
export function storeSource(key: string): string {
  return `${STORE_PREFIX}${key}`;
}

const sourceSchema = z
  .string()
  .min(1)
  .refine((text) => {
    const source = parseInputSource(text);
    if (source.kind === 'store') return STORE_KEY.test(source.key);
    return source.kind === 'url' && /^https?:\/\//i.test(source.url);
  }, 'must be "store:<batch>/inputs/<sha256>.<png|jpeg>" or an http(s) URL (jobs never carry local paths: workers run elsewhere)');

/** One input image of an edit job: where the worker reads it, and the hash its bytes must have. */
export const inputRefSchema = z.strictObject({
  source: sourceSchema.describe(
    'Where the worker reads the image: "store:<batchId>/inputs/<sha256>.<png|jpeg>" (a copy in the result store, as imgbatch makes), an https:// URL, or an Azure Blob URL of the configured storage account.',
  ),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
    .describe('SHA-256 of the image bytes, lowercase hex. The worker hashes what it reads and refuses (no call) an input whose bytes differ.'),
  widthPx: z.number().int().positive().optional().describe('Width of the image as checked at enqueue, for cost estimates; the worker measures it anyway.'),
  heightPx: z.number().int().positive().optional().describe('Height of the image as checked at enqueue.'),
});

export type InputRef = z.output<typeof inputRefSchema>;

/** The inputs of an edit call. Present on a job: the job is an `/images/edits` call, not a generation. */
export const editInputsSchema = z.strictObject({
  images: z
    .array(inputRefSchema)
    .min(1)
    .max(MAX_INPUT_IMAGES_CEILING)
    .describe('Input images, in order, sent as image (one) or image[] (several); PNG or JPEG, each under the model\'s byte limit.'),
  mask: inputRefSchema
    .optional()
    .describe('A PNG with an alpha channel and the first image\'s dimensions; fully transparent pixels mark where to edit.'),
  inputFidelity: z.string().optional().describe('input_fidelity, for models that take it (low, high); never for gpt-image-1-mini.'),
});

export type EditInputs = z.output<typeof editInputsSchema>;

/** What an enqueue found for a request's input images after checking them: the refs its jobs carry. */
export interface ResolvedEdit {
  readonly images: readonly InputRef[];
  readonly mask?: InputRef;
}
