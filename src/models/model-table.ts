/**
 * What each image model accepts, as data: new models arrive every few months and must be a
 * new row here, not a new branch in the code. Facts from Azure's image docs
 * (../shared/reference/azure-openai-images.md).
 */
export type ResponseFormat = 'url' | 'b64_json';
export type OutputFormat = 'png' | 'jpeg';

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
}

const GPT_IMAGE_SIZES = ['1024x1024', '1024x1536', '1536x1024'] as const;
const GPT_IMAGE_QUALITIES = ['low', 'medium', 'high'] as const;
const GPT_IMAGE_BACKGROUNDS = ['transparent', 'opaque', 'auto'] as const;

function gptImage(id: string, defaultQuality: string, defaultRatePerMinute: number): ModelCapabilities {
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
  },
  'gpt-image-1': gptImage('gpt-image-1', 'high', 9),
  'gpt-image-1-mini': gptImage('gpt-image-1-mini', 'medium', 12),
  'gpt-image-1.5': gptImage('gpt-image-1.5', 'high', 9),
});

export const MODEL_IDS: readonly string[] = Object.keys(MODEL_TABLE);

export function findModel(id: string): ModelCapabilities | undefined {
  return Object.hasOwn(MODEL_TABLE, id) ? MODEL_TABLE[id] : undefined;
}
