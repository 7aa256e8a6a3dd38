/**
 * What image generation costs, as data: prices change every few months and must be a new
 * row or an override in the config file, not a new branch in the code.
 */

/** Amounts keyed by quality, then size: `{ hd: { '1024x1024': 0.08 } }`. */
export type QualitySizeGrid = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface ModelPrices {
  /**
   * List price per image, USD, where the vendor publishes one. The expected cost uses it first:
   * it is the figure people compare invoices with.
   */
  readonly perImageUsd?: QualitySizeGrid;
  /** USD per 1M text input tokens (the prompt), for models that bill tokens. */
  readonly textInputUsdPerMillionTokens?: number;
  /** USD per 1M image output tokens, for models that bill tokens. */
  readonly imageOutputUsdPerMillionTokens?: number;
  /**
   * Image output tokens one image is expected to bill, by quality then size; a size not listed
   * is priced from the quality's 1024x1024 figure (see expectedOutputTokens).
   */
  readonly outputTokensPerImage?: QualitySizeGrid;
  /** USD per 1M image input tokens: the input images of edits. Default: the text input price. */
  readonly imageInputUsdPerMillionTokens?: number;
  /** How one input image of an edit turns into image input tokens, for expected costs; absent: input images count 0. */
  readonly inputImageTokens?: InputImageTokenRule;
}

/**
 * OpenAI's rule for image input tokens of tiled models: scale the image to fit `fitPx` square,
 * then its shorter side down to `shortSidePx`; `baseTokens` plus `tileTokens` per `tilePx`
 * square tile that covers it; at high input fidelity add `highFidelityTokens` (square, or
 * closer to portrait or landscape).
 */
export interface InputImageTokenRule {
  readonly fitPx: number;
  readonly shortSidePx: number;
  readonly tilePx: number;
  readonly baseTokens: number;
  readonly tileTokens: number;
  readonly highFidelityTokens: { readonly square: number; readonly other: number };
  /** The fidelity a call that names none is billed at: `low`, or `high` for a model that always processes inputs at high fidelity. */
  readonly defaultFidelity: 'low' | 'high';
}

export interface PriceTable {
  /** When the prices were taken (ISO date): a reader can tell how stale they are. */
  readonly takenOn: string;
  /** Where they come from. */
  readonly source: string;
  /** Model id -> prices. A model missing here is unpriced (its expected cost counts as 0 and says so). */
  readonly models: Readonly<Record<string, ModelPrices>>;
}
