import type { ModelCapabilities } from '../models/model-table.js';
import { fakeImage, type FakeImage } from './fake-image.js';
import { imageOutputTokens } from './image-output-tokens.js';
import { FILTERED_ITEM, SAFE_CONTENT_FILTER_RESULTS, SAFE_PROMPT_FILTER_RESULTS, type JsonBody } from './responses.js';
import { revisedPrompt } from './revised-prompt.js';
import type { GenerationRequest } from './validate-generation-body.js';

export interface SuccessBodyInput {
  readonly model: ModelCapabilities;
  readonly request: GenerationRequest;
  readonly createdSeconds: number;
  /** Replace the last item with the per-item content filter error (a partial success). */
  readonly isLastItemFiltered: boolean;
  readonly imageWidthPx: number;
  readonly imageHeightPx: number;
  /** Input image tokens of an edit call (its input images), 0 for a generation. */
  readonly inputImageTokens?: number;
  /** Stores an image for `url` responses and returns its absolute URL. */
  readonly publish: (image: FakeImage, extension: string) => string;
}

// Rough tokens per prompt character for `usage.input_tokens` (English averages ~4 chars/token).
const CHARS_PER_TOKEN = 4;

/**
 * The 200 body of a generations call, shaped as the real one for the model: dall-e-3 items carry
 * filter annotations and `revised_prompt` (keys in the recorded order); gpt-image items carry
 * only `b64_json`, and the body reports token `usage`.
 */
export async function successBody(input: SuccessBodyInput): Promise<JsonBody> {
  const { model, request } = input;
  const extension = request.outputFormat === 'jpeg' ? 'jpeg' : 'png';
  const items = await Promise.all(Array.from({ length: request.n }, async (_, variant): Promise<JsonBody> => {
    if (input.isLastItemFiltered && variant === request.n - 1) return FILTERED_ITEM;
    const image = await fakeImage({
      prompt: request.prompt,
      variant,
      widthPx: input.imageWidthPx,
      heightPx: input.imageHeightPx,
      format: request.outputFormat,
      isTransparent: request.background === 'transparent',
      ...(request.outputCompression === undefined ? {} : { jpegQuality: request.outputCompression }),
    });
    const payload =
      request.responseFormat === 'url' ? { url: input.publish(image, extension) } : { b64_json: image.bytes.toString('base64') };
    if (!model.returnsRevisedPrompt) return payload;
    return request.responseFormat === 'url'
      ? {
          content_filter_results: SAFE_CONTENT_FILTER_RESULTS,
          prompt_filter_results: SAFE_PROMPT_FILTER_RESULTS,
          revised_prompt: revisedPrompt(request.prompt),
          ...payload,
        }
      : {
          ...payload,
          content_filter_results: SAFE_CONTENT_FILTER_RESULTS,
          prompt_filter_results: SAFE_PROMPT_FILTER_RESULTS,
          revised_prompt: revisedPrompt(request.prompt),
        };
  }));

  // The model table has no billing column; the gpt-image family (the models without a
  // response_format choice) is the one that bills tokens and reports `usage`.
  if (model.acceptsResponseFormat) return { created: input.createdSeconds, data: items };
  const textTokens = Math.max(1, Math.ceil(request.prompt.length / CHARS_PER_TOKEN));
  const imageTokens = input.inputImageTokens ?? 0;
  // Filtered images are generated, so they are billed too.
  const outputTokens = request.n * imageOutputTokens(model.id, request.size, request.quality);
  return {
    created: input.createdSeconds,
    data: items,
    usage: {
      input_tokens: textTokens + imageTokens,
      input_tokens_details: { image_tokens: imageTokens, text_tokens: textTokens },
      output_tokens: outputTokens,
      total_tokens: textTokens + imageTokens + outputTokens,
    },
  };
}
