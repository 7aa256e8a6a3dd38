// The gpt-image family's input image tokens, as OpenAI's images and vision guide describes them
// ("Calculating costs", GPT Image 1: developers.openai.com/api/docs/guides/images-vision): the
// image is scaled to fit 2048x2048, then its shorter side to 512 px; 65 tokens plus 129 per
// 512 px tile; at high input fidelity 4160 more for a square image, 6240 for portrait or landscape.
const FIT_PX = 2048;
const SHORT_SIDE_PX = 512;
const TILE_PX = 512;
const BASE_TOKENS = 65;
const TILE_TOKENS = 129;
const HIGH_FIDELITY_SQUARE = 4160;
const HIGH_FIDELITY_OTHER = 6240;

/** The `image_tokens` the simulator reports for one input image of an edit. */
export function imageInputTokens(widthPx: number, heightPx: number, inputFidelity: string | undefined): number {
  const fit = Math.min(1, FIT_PX / Math.max(widthPx, heightPx, 1));
  const shortSide = Math.min(1, SHORT_SIDE_PX / Math.max(Math.min(widthPx, heightPx) * fit, 1));
  const scale = fit * shortSide;
  const tiles = Math.ceil(Math.floor(widthPx * scale) / TILE_PX) * Math.ceil(Math.floor(heightPx * scale) / TILE_PX);
  const extra = inputFidelity !== 'high' ? 0 : widthPx === heightPx ? HIGH_FIDELITY_SQUARE : HIGH_FIDELITY_OTHER;
  return BASE_TOKENS + Math.max(1, tiles) * TILE_TOKENS + extra;
}
