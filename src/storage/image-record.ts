import { z } from 'zod';
import { COST_SOURCES } from '../cost/actual-call-cost.js';

/**
 * The metadata stored beside every image (and alone, for a filtered one). Its presence in a
 * store is what "this image is done" means: it is written after the image bytes, so a record
 * never points at a missing file.
 */
export const imageRecordSchema = z.object({
  key: z.string(),
  batchId: z.string(),
  requestId: z.string(),
  variant: z.number().int(),
  status: z.enum(['stored', 'filtered']),
  prompt: z.string(),
  revisedPrompt: z.string().optional(),
  model: z.string(),
  size: z.string(),
  quality: z.string(),
  style: z.string().optional(),
  outputFormat: z.string().optional(),
  deployment: z.string(),
  /** The service's request id (apim-request-id / x-request-id), for support tickets. */
  serviceRequestId: z.string().optional(),
  /** Wall time of the successful call, ms. */
  latencyMs: z.number(),
  /** Calls made for this image's job, including the successful one (429 waits not counted). */
  attempts: z.number().int(),
  usage: z.record(z.string(), z.unknown()).optional(),
  /**
   * What this image cost, USD: its share of the call's `usage` at the price table's token
   * prices, or the table's expected price when the answer had no usage; 0 for a prompt the
   * filter refused. Absent in records written before imgbatch kept costs.
   */
  costUsd: z.number().min(0).optional(),
  /** Where costUsd comes from: `usage`, `table`, or `unbilled` (prompt filter: nothing generated). */
  costSource: z.enum(COST_SOURCES).optional(),
  filter: z
    .object({
      stage: z.enum(['prompt', 'output']),
      categories: z.array(z.string()),
      revisedPrompt: z.string().optional(),
      code: z.string(),
      message: z.string(),
    })
    .optional(),
  /** Where the image bytes are (file path or blob URL); absent for a filtered image. */
  location: z.string().optional(),
  contentType: z.string().optional(),
  sizeBytes: z.number().int().optional(),
  /**
   * For an edited image: the input images (and mask) it was made from, each by the source the
   * job named and the SHA-256 of the bytes sent; absent for a generated image.
   */
  inputs: z
    .object({
      images: z.array(z.object({ source: z.string(), sha256: z.string() })),
      mask: z.object({ source: z.string(), sha256: z.string() }).optional(),
      inputFidelity: z.string().optional(),
    })
    .optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /**
   * A hash of what was asked (prompt, model, size, quality, style, output format, background,
   * inputs' hashes; see requestFingerprint), so enqueueing an edited row into the same batch is
   * seen as a change. Absent in records written before imgbatch kept fingerprints (and for jobs
   * of producers that send none): such an image is kept whatever is asked later.
   */
  fingerprint: z.string().optional(),
  /** ISO time the record was written. */
  createdAt: z.string(),
});

export type ImageRecord = z.output<typeof imageRecordSchema>;
