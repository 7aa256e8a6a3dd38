import { inputImageTokens } from './input-image-tokens.js';
import type { ModelPrices, PriceTable } from './price-table.js';
import { splitCallCost, type CallCost } from './split-call-cost.js';
import { expectedOutputTokens } from './expected-output-tokens.js';

/** Which figure an expected cost comes from. `unpriced`: the table has nothing for it; counted as 0. */
export type CostBasis = 'per-image' | 'tokens' | 'unpriced';

/** One API call: `images` images of one model, size and quality, from one prompt. */
export interface PricedCall {
  readonly model: string;
  readonly size: string;
  readonly quality: string;
  readonly images: number;
  /** Prompt length in characters, for the expected input tokens. */
  readonly promptChars: number;
  /** An edit's input images (the mask is not counted); absent for a generation. */
  readonly inputImages?: readonly { readonly widthPx: number; readonly heightPx: number }[];
  /** An edit's `input_fidelity`, when it names one. */
  readonly inputFidelity?: string;
}

export interface ExpectedCost extends CallCost {
  readonly basis: CostBasis;
}

// English averages about 4 characters a token; the service counts the prompt's real tokens.
const CHARS_PER_TOKEN = 4;

function cell(grid: ModelPrices['perImageUsd'], quality: string, size: string): number | undefined {
  const row = grid !== undefined && Object.hasOwn(grid, quality) ? grid[quality] : undefined;
  return row !== undefined && Object.hasOwn(row, size) ? row[size] : undefined;
}

/**
 * What an edit's input images are expected to add: their image input tokens (the rule of the
 * model's prices) × the image input price, once per call whatever its n. 0 for a generation.
 */
function inputImagesUsd(prices: ModelPrices | undefined, call: PricedCall): number {
  const rule = prices?.inputImageTokens;
  const price = prices?.imageInputUsdPerMillionTokens ?? prices?.textInputUsdPerMillionTokens;
  if (call.inputImages === undefined || rule === undefined || price === undefined) return 0;
  const tokens = call.inputImages.reduce((sum, image) => sum + inputImageTokens(rule, image.widthPx, image.heightPx, call.inputFidelity), 0);
  return (tokens * price) / 1_000_000;
}

/**
 * What a call is expected to cost before it is made: the list price per image where the table
 * has one, else expected output tokens (expectedOutputTokens: listed, or scaled by pixels for a
 * custom size) × the output token price plus the prompt's expected input tokens × the input
 * price. Used for estimates and for budget reservations.
 */
export function expectedCallCost(table: PriceTable, call: PricedCall): ExpectedCost {
  const prices = Object.hasOwn(table.models, call.model) ? table.models[call.model] : undefined;
  const inputsUsd = inputImagesUsd(prices, call);
  const perImage = cell(prices?.perImageUsd, call.quality, call.size);
  if (perImage !== undefined) return { ...splitCallCost(perImage * call.images + inputsUsd, call.images), basis: 'per-image' };
  const outputTokens = expectedOutputTokens(prices?.outputTokensPerImage, call.quality, call.size);
  const outputPrice = prices?.imageOutputUsdPerMillionTokens;
  if (outputTokens !== undefined && outputPrice !== undefined) {
    const inputTokens = Math.ceil(call.promptChars / CHARS_PER_TOKEN);
    const usd = (call.images * outputTokens * outputPrice + inputTokens * (prices?.textInputUsdPerMillionTokens ?? 0)) / 1_000_000 + inputsUsd;
    return { ...splitCallCost(usd, call.images), basis: 'tokens' };
  }
  return { usd: 0, perImageUsd: 0, basis: 'unpriced' };
}
