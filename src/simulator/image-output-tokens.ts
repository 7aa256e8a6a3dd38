import { DEFAULT_PRICE_TABLE } from '../cost/default-price-table.js';
import { expectedOutputTokens } from '../cost/expected-output-tokens.js';

// Output image tokens of a square 1024x1024 gpt-image-1 image by quality (OpenAI's gpt-image
// pricing; Azure's recording: n=2 at 1024x1536 high = 12480 = 2 × 6240): what a model the
// table has no figures for reports.
const SQUARE_TOKENS: Readonly<Record<string, number>> = { low: 272, medium: 1056, high: 4160 };
// Portrait and landscape sizes cost 1.5× the square at every quality (6240 / 4160).
const NON_SQUARE_FACTOR = 1.5;

/**
 * Output tokens the simulated service reports in `usage` for one image of this model, size and
 * quality: the figures the default price table expects (measured and published ones, and for
 * gpt-image-2's custom sizes the same pixel scaling), so a simulated run bills what was
 * expected; the gpt-image-1 figures for models the table lacks.
 */
export function imageOutputTokens(model: string, size: string, quality: string): number {
  const prices = Object.hasOwn(DEFAULT_PRICE_TABLE.models, model) ? DEFAULT_PRICE_TABLE.models[model] : undefined;
  const listed = expectedOutputTokens(prices?.outputTokensPerImage, quality, size);
  if (listed !== undefined) return listed;
  const square = SQUARE_TOKENS[quality] ?? SQUARE_TOKENS['high'] ?? 4160;
  const [width, height] = size.split('x').map(Number);
  const isSquare = width === undefined || height === undefined || width === height;
  return isSquare ? square : Math.round(square * NON_SQUARE_FACTOR);
}
