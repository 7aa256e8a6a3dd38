import { PART_SEPARATOR } from './fit-to-width.js';

/** Cells of a bar when the terminal has room for them. */
const FULL_WIDTH = 24;
/** Below this, a bar says too little to be worth its columns. */
const MIN_WIDTH = 4;

/** A text bar such as `[██████░░░░]` for a fraction in [0, 1]; out-of-range fractions are clamped. */
export function progressBar(fraction: number, width: number): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/**
 * `name [██████░░░░] figures` for a status line `width` columns wide: the bar 24 cells, narrower
 * when the line leaves less room, left out when fewer than 4 cells would fit, so the name and the
 * figures stay on screen whatever the terminal's width (on two rows when one cannot hold both).
 */
export function withProgressBar(name: string, fraction: number, figures: string, width: number): string {
  const cells = Math.min(FULL_WIDTH, Math.floor(width) - name.length - figures.length - 4);
  if (cells >= MIN_WIDTH) return `${name} ${progressBar(fraction, cells)} ${figures}`;
  // Not even name and figures fit on one line: make them two parts, so fitToWidth breaks between them.
  return name.length + figures.length + 1 <= width ? `${name} ${figures}` : `${name}${PART_SEPARATOR}${figures}`;
}
