import { AUTO_SIZE, parseSize } from '../models/size-rule.js';
import type { QualitySizeGrid } from './price-table.js';

const MEGAPIXEL = 1024 * 1024;

/**
 * Image output tokens one image is expected to bill, from a model's token grid:
 *
 * - a size the grid lists: that figure (measured or published);
 * - `auto`: the dearest size the grid lists for the quality (the service picks one);
 * - any other `WIDTHxHEIGHT` (gpt-image-2's custom sizes): the quality's 1024x1024 figure
 *   scaled by pixel count, never below it: ⌈T(1024²) × max(1, W×H / 1,048,576)⌉.
 *
 * The reference gives gpt-image-2's tokens at 1024² only (196 / 1,756 / 7,024 for low / medium /
 * high, third-party benchmark on Azure, 2026-09) and OpenAI's per-image prices at 1536x1024,
 * which imply fewer tokens than the square ("a larger non-square resolution can sometimes
 * produce fewer output tokens"); scaling by pixels errs high for large sizes, the safe side for
 * a budget. Undefined when the grid has nothing for the quality.
 */
export function expectedOutputTokens(grid: QualitySizeGrid | undefined, quality: string, size: string): number | undefined {
  const row = grid !== undefined && Object.hasOwn(grid, quality) ? grid[quality] : undefined;
  if (row === undefined) return undefined;
  if (Object.hasOwn(row, size)) return row[size];
  if (size === AUTO_SIZE) {
    const listed = Object.values(row);
    return listed.length === 0 ? undefined : Math.max(...listed);
  }
  const square = Object.hasOwn(row, '1024x1024') ? row['1024x1024'] : undefined;
  const parsed = parseSize(size);
  if (square === undefined || parsed === undefined) return undefined;
  return Math.ceil(square * Math.max(1, (parsed.widthPx * parsed.heightPx) / MEGAPIXEL));
}
