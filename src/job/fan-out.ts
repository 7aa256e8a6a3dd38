import { ValidationError } from '../errors/imgbatch-error.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { validateRequestForModel } from '../models/validate-request-for-model.js';
import type { ResolvedEdit } from './edit-input.js';
import type { ImageJobData } from './image-job.js';
import { IMAGE_JOB_VERSION } from './image-job.js';
import type { ImageRequest } from './image-request.js';
import { requestFingerprint } from './request-fingerprint.js';

export interface FanOutOptions {
  readonly batchId: string;
  /** The models requests are checked against (built-ins plus the config's `models:`). */
  readonly models: ModelCatalogue;
  /** Used when the request has no id of its own. */
  readonly defaultRequestId: string;
  /**
   * Images per API call for models that allow several (default 1: each image is retried,
   * filtered, stored and billed on its own). Capped at the model's own limit.
   */
  readonly imagesPerCall?: number;
  readonly enqueuedAt: number;
  /** The request's input images after the enqueue checked them (required when it names any). */
  readonly edit?: ResolvedEdit | undefined;
}

/**
 * Turns one request for n images into the image jobs that produce them. A model that takes
 * only n=1 (dall-e-3) always gets one job per image. Throws ValidationError when the request
 * does not fit its model, so nothing invalid reaches the queue.
 */
export function fanOut(request: ImageRequest, options: FanOutOptions): ImageJobData[] {
  const issues = validateRequestForModel(request, options.models);
  const model = options.models.find(request.model);
  if (issues.length > 0 || model === undefined) throw new ValidationError(issues);
  const { edit } = options;
  // Jobs carry references to checked copies, never what a request named: a worker cannot read a
  // path on the producer's machine, and must not send bytes no one checked.
  if (request.images !== undefined && edit === undefined) {
    throw new ValidationError([{ field: 'image', reason: 'the input images were not checked and copied to the store (edits need an enqueue with a result store)' }]);
  }

  const asked = options.imagesPerCall ?? 1;
  // A library caller's odd value (2.5, NaN) must not produce variants that are not whole images.
  const perCall = Number.isFinite(asked) ? Math.max(1, Math.min(Math.floor(asked), model.maxImagesPerCall)) : 1;
  const requestId = request.id ?? options.defaultRequestId;
  const jobs: ImageJobData[] = [];
  for (let first = 0; first < request.n; first += perCall) {
    const variants: number[] = [];
    for (let v = first; v < Math.min(first + perCall, request.n); v++) variants.push(v);
    jobs.push(withFingerprint({
      v: IMAGE_JOB_VERSION,
      batchId: options.batchId,
      requestId,
      variants,
      prompt: request.prompt,
      model: model.id,
      size: request.size ?? model.defaultSize,
      quality: request.quality ?? model.defaultQuality,
      ...(request.style !== undefined && { style: request.style }),
      ...(request.outputFormat !== undefined && { outputFormat: request.outputFormat }),
      ...(request.outputCompression !== undefined && { outputCompression: request.outputCompression }),
      ...(request.background !== undefined && { background: request.background }),
      ...(request.user !== undefined && { user: request.user }),
      ...(request.pool !== undefined && { pool: request.pool }),
      // Inline bytes by default: nothing to fetch later from a URL that expires in ~24 h.
      ...(model.acceptsResponseFormat && { responseFormat: request.responseFormat ?? 'b64_json' }),
      ...(request.images !== undefined &&
        edit !== undefined && {
          edit: {
            images: [...edit.images],
            ...(edit.mask !== undefined && { mask: edit.mask }),
            ...(request.inputFidelity !== undefined && { inputFidelity: request.inputFidelity }),
          },
        }),
      ...(request.metadata !== undefined && { metadata: request.metadata }),
      enqueuedAt: options.enqueuedAt,
    }));
  }
  return jobs;
}

/** The job with the fingerprint of what it asks, so a changed row is told from a kept one later. */
function withFingerprint(job: ImageJobData): ImageJobData {
  return { ...job, fingerprint: requestFingerprint(job) };
}
