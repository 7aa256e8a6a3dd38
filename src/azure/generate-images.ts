import type { OpenAI } from 'openai';
import type { ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import type { ImageJobData } from '../job/image-job.js';
import { sharedImageParams } from './shared-image-params.js';
import { DEFAULT_MAX_IMAGE_BYTES, sendImagesCall, type ImagesCallResult, type SendImagesCallOptions } from './send-images-call.js';
import { maxImagesResponseBytes } from './max-images-response-bytes.js';

type Param<K extends keyof ImageGenerateParamsNonStreaming> = NonNullable<ImageGenerateParamsNonStreaming[K]>;

/**
 * The request body of a generation: what an edit sends too (sharedImageParams), plus `style`
 * and `response_format`, which only reach jobs of models whose table entry takes them (openai 7
 * marks both deprecated for OpenAI's own models).
 */
export function imagesParamsFor(job: ImageJobData, model?: string): ImageGenerateParamsNonStreaming {
  return {
    ...sharedImageParams(job, model),
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.style === undefined ? {} : { style: job.style as Param<'style'> }),
    // Only when the job asks: the gpt-image family rejects the parameter altogether.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.responseFormat === undefined ? {} : { response_format: job.responseFormat }),
  };
}

/**
 * Makes one images/generations call for a job on the client's deployment (see sendImagesCall:
 * one HTTP request; a 2xx comes back as it is, anything else is thrown as an ImagesCallError).
 */
export async function generateImages(
  client: OpenAI,
  job: ImageJobData,
  options: SendImagesCallOptions,
): Promise<ImagesCallResult> {
  const maxBodyBytes = options.maxBodyBytes ?? maxImagesResponseBytes(job.variants.length, DEFAULT_MAX_IMAGE_BYTES);
  return sendImagesCall((requestOptions) => client.images.generate(imagesParamsFor(job, options.model), requestOptions), { ...options, maxBodyBytes });
}
