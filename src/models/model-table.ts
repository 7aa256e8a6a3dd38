/**
 * What each image model accepts, as data: new models arrive every few months and must be a
 * new row here, not a new branch in the code. Facts from Azure's image docs
 * (../shared/reference/azure-openai-images.md).
 */
export type ResponseFormat = 'url' | 'b64_json';
export type OutputFormat = 'png' | 'jpeg';

/** What a model's `/images/edits` call accepts. */
export interface EditCapabilities {
  /** Input images one edit call takes (`image` / `image[]`). */
  readonly maxInputImages: number;
  /** Largest input image, bytes ("less than 50 MB"). */
  readonly maxInputBytes: number;
  /** Largest mask, bytes ("less than 4 MB"). */
  readonly maxMaskBytes: number;
  /** Values of `input_fidelity` the model takes; empty when the parameter must not be sent. */
  readonly inputFidelities: readonly string[];
}

export interface ModelCapabilities {
  readonly id: string;
  readonly sizes: readonly string[];
  readonly defaultSize: string;
  readonly qualities: readonly string[];
  readonly defaultQuality: string;
  /** Empty when the model takes no `style` parameter. */
  readonly styles: readonly string[];
  readonly maxImagesPerCall: number;
  /** Empty when the model takes no `output_format` (its images are PNG). */
  readonly outputFormats: readonly OutputFormat[];
  /** Empty when the model takes no `background`. */
  readonly backgrounds: readonly string[];
  readonly supportsCompression: boolean;
  readonly maxPromptChars: number;
  /**
   * How images come back. A model with only `b64_json` rejects the `response_format`
   * parameter altogether (gpt-image family).
   */
  readonly responseFormats: readonly ResponseFormat[];
  readonly acceptsResponseFormat: boolean;
  readonly returnsRevisedPrompt: boolean;
  /** Azure's documented default quota for a new deployment, requests per minute. */
  readonly defaultRatePerMinute: number;
  /** The model no longer runs on Azure: existing deployments stop working; kept for old batches. */
  readonly isRetired: boolean;
  /** What `/images/edits` takes; undefined when the model cannot edit. */
  readonly edits: EditCapabilities | undefined;
}

const GPT_IMAGE_SIZES = ['1024x1024', '1024x1536', '1536x1024'] as const;
const GPT_IMAGE_QUALITIES = ['low', 'medium', 'high'] as const;
const GPT_IMAGE_BACKGROUNDS = ['transparent', 'opaque', 'auto'] as const;

/** A decimal megabyte: the smaller reading of "MB", so a file under the limit passes however Azure counts. */
const MB = 1_000_000;

/**
 * Edits on the gpt-image family. Azure: "You can provide up to 16 input images. Each input image
 * must be less than 50 MB in size and must be a PNG or JPG file"; the mask is a PNG "less than
 * 4 MB" (learn.microsoft.com/azure/foundry/openai/how-to/dall-e, image edit section, 2026-05-13;
 * Azure OpenAI 2025-04-01-preview reference). `input_fidelity` (`high`, `low`, default low) is
 * "not supported by gpt-image-1-mini" (same page), so the mini model sends none.
 */
function gptImageEdits(inputFidelities: readonly string[]): EditCapabilities {
  return { maxInputImages: 16, maxInputBytes: 50 * MB, maxMaskBytes: 4 * MB, inputFidelities };
}

const HIGH_LOW = ['high', 'low'] as const;

function gptImage(id: string, defaultQuality: string, defaultRatePerMinute: number, edits: EditCapabilities): ModelCapabilities {
  return {
    id,
    sizes: GPT_IMAGE_SIZES,
    defaultSize: '1024x1024',
    qualities: GPT_IMAGE_QUALITIES,
    defaultQuality,
    styles: [],
    maxImagesPerCall: 10,
    outputFormats: ['png', 'jpeg'],
    backgrounds: GPT_IMAGE_BACKGROUNDS,
    supportsCompression: true,
    maxPromptChars: 32_000,
    responseFormats: ['b64_json'],
    acceptsResponseFormat: false,
    returnsRevisedPrompt: false,
    defaultRatePerMinute,
    isRetired: false,
    edits,
  };
}

export const MODEL_TABLE: Readonly<Record<string, ModelCapabilities>> = Object.freeze({
  'dall-e-3': {
    id: 'dall-e-3',
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    defaultSize: '1024x1024',
    qualities: ['standard', 'hd'],
    defaultQuality: 'standard',
    styles: ['vivid', 'natural'],
    maxImagesPerCall: 1,
    outputFormats: [],
    backgrounds: [],
    supportsCompression: false,
    maxPromptChars: 4_000,
    responseFormats: ['url', 'b64_json'],
    acceptsResponseFormat: true,
    returnsRevisedPrompt: true,
    defaultRatePerMinute: 6,
    // Retired on Azure in 2026 (replacement named by Microsoft: gpt-image-1-mini).
    isRetired: true,
    // Azure's edits endpoint serves the gpt-image family only.
    edits: undefined,
  },
  'gpt-image-1': gptImage('gpt-image-1', 'high', 9, gptImageEdits(HIGH_LOW)),
  'gpt-image-1-mini': gptImage('gpt-image-1-mini', 'medium', 12, gptImageEdits([])),
  'gpt-image-1.5': gptImage('gpt-image-1.5', 'high', 9, gptImageEdits(HIGH_LOW)),
});

export const MODEL_IDS: readonly string[] = Object.keys(MODEL_TABLE);

export function findModel(id: string): ModelCapabilities | undefined {
  return Object.hasOwn(MODEL_TABLE, id) ? MODEL_TABLE[id] : undefined;
}
