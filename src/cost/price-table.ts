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
  /** USD per 1M image input tokens (the images of an edit), for models that bill tokens. */
  readonly imageInputUsdPerMillionTokens?: number;
  /** USD per 1M image output tokens, for models that bill tokens. */
  readonly imageOutputUsdPerMillionTokens?: number;
  /**
   * Image output tokens one image is expected to bill, by quality then size; a size not listed
   * is priced from the quality's 1024x1024 figure (see expectedOutputTokens).
   */
  readonly outputTokensPerImage?: QualitySizeGrid;
}

export interface PriceTable {
  /** When the prices were taken (ISO date): a reader can tell how stale they are. */
  readonly takenOn: string;
  /** Where they come from. */
  readonly source: string;
  /** Model id -> prices. A model missing here is unpriced (its expected cost counts as 0 and says so). */
  readonly models: Readonly<Record<string, ModelPrices>>;
}
