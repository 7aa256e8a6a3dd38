import type { OpenAI } from 'openai';
import { toFile } from 'openai';
import type { ImageEditParamsNonStreaming } from 'openai/resources/images';
import type { ImageJobData } from '../job/image-job.js';
import { sharedImageParams } from './shared-image-params.js';
import { DEFAULT_MAX_IMAGE_BYTES, sendImagesCall, type ImagesCallResult, type SendImagesCallOptions } from './send-images-call.js';
import { maxImagesResponseBytes } from './max-images-response-bytes.js';

/** One input image as read for the call: its bytes, checked against the job's hash and the model's rules. */
export interface LoadedInput {
  readonly bytes: Uint8Array;
  readonly extension: 'png' | 'jpeg';
  readonly widthPx: number;
  readonly heightPx: number;
}

/** What an edit call sends besides the prompt and the generation parameters. */
export interface EditCallInputs {
  readonly images: readonly LoadedInput[];
  readonly mask?: LoadedInput;
}

type Param<K extends keyof ImageEditParamsNonStreaming> = NonNullable<ImageEditParamsNonStreaming[K]>;

function file(input: LoadedInput, name: string): Promise<File> {
  return toFile(input.bytes, `${name}.${input.extension === 'jpeg' ? 'jpg' : 'png'}`, { type: `image/${input.extension}` });
}

/**
 * The multipart body of an edit: the generation parameters the job carries (same rules, from
 * the model table) plus the input images, the mask and `input_fidelity`. One image goes as the
 * field `image`, several as `image[]` (the SDK names array fields so); Azure documents both
 * (learn.microsoft.com/azure/foundry/openai/how-to/dall-e: the REST quickstart posts `image`,
 * the edit section's curl `image[]`).
 */
export async function editParamsFor(job: ImageJobData, inputs: EditCallInputs, model?: string): Promise<ImageEditParamsNonStreaming> {
  const images = await Promise.all(inputs.images.map((image, index) => file(image, `image-${index + 1}`)));
  const [only] = images;
  // No style or response_format: only dall-e-3 takes them, and it cannot edit.
  return {
    ...sharedImageParams(job, model),
    image: images.length === 1 && only !== undefined ? only : images,
    ...(inputs.mask === undefined ? {} : { mask: await file(inputs.mask, 'mask') }),
    ...(job.edit?.inputFidelity === undefined ? {} : { input_fidelity: job.edit.inputFidelity as Param<'input_fidelity'> }),
  };
}

/**
 * Makes one images/edits call (multipart) for an edit job, with the input bytes the worker read
 * and checked against the job's hashes. Same contract as generateImages: one HTTP request; a
 * 2xx comes back as it is, anything else is thrown as an ImagesCallError.
 */
export async function editImages(client: OpenAI, job: ImageJobData, inputs: EditCallInputs, options: SendImagesCallOptions): Promise<ImagesCallResult> {
  const params = await editParamsFor(job, inputs, options.model);
  const maxBodyBytes = options.maxBodyBytes ?? maxImagesResponseBytes(job.variants.length, DEFAULT_MAX_IMAGE_BYTES);
  return sendImagesCall((requestOptions) => client.images.edit(params, requestOptions), { ...options, maxBodyBytes });
}
