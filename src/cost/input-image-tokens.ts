import type { InputImageTokenRule } from './price-table.js';

// Closer to square than to 2:3 / 3:2 (the midpoint of 1 and 1.5), for the high-fidelity surcharge.
const SQUARE_UP_TO_RATIO = 1.25;

/**
 * Image input tokens one input image of an edit is expected to bill (see InputImageTokenRule).
 * A fidelity the call does not name is the rule's default.
 */
export function inputImageTokens(rule: InputImageTokenRule, widthPx: number, heightPx: number, inputFidelity: string | undefined): number {
  const longSide = Math.max(widthPx, heightPx, 1);
  const shortSide = Math.max(Math.min(widthPx, heightPx), 1);
  const fit = Math.min(1, rule.fitPx / longSide);
  const scale = fit * Math.min(1, rule.shortSidePx / (shortSide * fit));
  const tiles = Math.max(1, Math.ceil(Math.floor(widthPx * scale) / rule.tilePx) * Math.ceil(Math.floor(heightPx * scale) / rule.tilePx));
  const isHigh = (inputFidelity ?? rule.defaultFidelity) === 'high';
  const extra = !isHigh ? 0 : longSide / shortSide < SQUARE_UP_TO_RATIO ? rule.highFidelityTokens.square : rule.highFidelityTokens.other;
  return rule.baseTokens + tiles * rule.tileTokens + extra;
}
