import { createHash } from 'node:crypto';
import type { ImageJobData } from './image-job.js';

/** What of a job decides the image it makes: the fields a changed row differs in. */
export type FingerprintedFields = Pick<ImageJobData, 'prompt' | 'model' | 'size' | 'quality' | 'style' | 'outputFormat' | 'outputCompression' | 'background' | 'edit'>;

/** Hex digits kept of the SHA-256: 128 bits tell requests apart and keep each job's data short. */
const FINGERPRINT_HEX_DIGITS = 32;

/** A fingerprint as jobs and records carry it. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A stable hash of what was asked for an image: prompt, model, size, quality, style, output
 * format and compression, background, and for an edit the SHA-256 of each input (and mask) and
 * the input fidelity. The same request always gives the same fingerprint, in any process and
 * version: the fields go into the hash as a JSON array in a fixed order, with `null` for an
 * absent one. Inputs count by their bytes, not by where they were read from, so a moved but
 * unchanged input is not a change. Ids, variants, metadata and the user are not part of it:
 * they do not change the image.
 */
export function requestFingerprint(job: FingerprintedFields): string {
  const canonical = JSON.stringify([
    'imgbatch-request-v1',
    job.prompt,
    job.model,
    job.size,
    job.quality,
    job.style ?? null,
    job.outputFormat ?? null,
    job.outputCompression ?? null,
    job.background ?? null,
    job.edit?.images.map((image) => image.sha256) ?? null,
    job.edit?.mask?.sha256 ?? null,
    job.edit?.inputFidelity ?? null,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_DIGITS);
}
