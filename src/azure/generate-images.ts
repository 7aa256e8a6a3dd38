import type { OpenAI } from 'openai';
import type { ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import type { ImageJobData } from '../job/image-job.js';
import { DEFAULT_MAX_IMAGE_BYTES, sendImagesCall, type ImagesCallResult, type SendImagesCallOptions } from './send-images-call.js';
import { maxImagesResponseBytes } from './max-images-response-bytes.js';

/**
 * The request body for a job. The job was validated against the model table, which is the
 * authority on allowed values: the SDK's literal unions lag the service (new qualities, sizes),
 * so values pass through as the table allowed them.
 */
type Param<K extends keyof ImageGenerateParamsNonStreaming> = NonNullable<ImageGenerateParamsNonStreaming[K]>;

export function imagesParamsFor(job: ImageJobData, model?: string): ImageGenerateParamsNonStreaming {
  return {
    ...(model === undefined ? {} : { model }),
    prompt: job.prompt,
    n: job.variants.length,
    size: job.size,
    quality: job.quality as Param<'quality'>,
    // openai 7 marks `style`, `response_format` and `user` deprecated for OpenAI's own models;
    // Azure documents `user` for gpt-image-2, and the other two only reach jobs of models whose
    // table entry takes them.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.style === undefined ? {} : { style: job.style as Param<'style'> }),
    ...(job.outputFormat === undefined ? {} : { output_format: job.outputFormat }),
    ...(job.outputCompression === undefined ? {} : { output_compression: job.outputCompression }),
    ...(job.background === undefined ? {} : { background: job.background as Param<'background'> }),
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.user === undefined ? {} : { user: job.user }),
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
