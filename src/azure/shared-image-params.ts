import type { ImageEditParamsNonStreaming, ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import type { ImageJobData } from '../job/image-job.js';

/** A parameter's values as both the generation and the edit call type them. */
type Shared<K extends keyof ImageGenerateParamsNonStreaming & keyof ImageEditParamsNonStreaming> = NonNullable<ImageGenerateParamsNonStreaming[K]> &
  NonNullable<ImageEditParamsNonStreaming[K]>;

/** The fields a generation and an edit of the same job send alike. */
export type SharedImageParams = Pick<
  ImageGenerateParamsNonStreaming & ImageEditParamsNonStreaming,
  'model' | 'prompt' | 'n' | 'size' | 'quality' | 'output_format' | 'output_compression' | 'background' | 'user'
>;

/**
 * What a generation and an edit of a job send alike: the prompt, n, size, quality, output
 * format and compression, background and user, and on the v1 API the deployment as `model`.
 * The job was validated against the model table, which is the authority on allowed values: the
 * SDK's literal unions lag the service (new qualities, sizes), so values pass through as the
 * table allowed them.
 */
export function sharedImageParams(job: ImageJobData, model?: string): SharedImageParams {
  return {
    ...(model === undefined ? {} : { model }),
    prompt: job.prompt,
    n: job.variants.length,
    size: job.size,
    quality: job.quality as Shared<'quality'>,
    ...(job.outputFormat === undefined ? {} : { output_format: job.outputFormat }),
    ...(job.outputCompression === undefined ? {} : { output_compression: job.outputCompression }),
    ...(job.background === undefined ? {} : { background: job.background as Shared<'background'> }),
    // openai 7 marks `user` deprecated for OpenAI's own models; Azure documents it for gpt-image-2.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    ...(job.user === undefined ? {} : { user: job.user }),
  };
}
