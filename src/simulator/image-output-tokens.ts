// Output image tokens for a square 1024x1024 image by quality, from OpenAI's gpt-image pricing
// (and Azure's recording: n=2 at 1024x1536 high = 12480 = 2 × 6240).
const SQUARE_TOKENS: Readonly<Record<string, number>> = { low: 272, medium: 1056, high: 4160 };
// Portrait and landscape sizes cost 1.5× the square at every quality (6240 / 4160).
const NON_SQUARE_FACTOR = 1.5;

/** Output tokens the service reports in `usage` for one gpt-image image of this size and quality. */
export function imageOutputTokens(size: string, quality: string): number {
  const square = SQUARE_TOKENS[quality] ?? SQUARE_TOKENS['high'] ?? 4160;
  const [width, height] = size.split('x').map(Number);
  const isSquare = width === undefined || height === undefined || width === height;
  return isSquare ? square : Math.round(square * NON_SQUARE_FACTOR);
}
