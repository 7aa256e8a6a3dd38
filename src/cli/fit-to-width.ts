/** Between the parts of a status line; a line that does not fit is broken here first. */
export const PART_SEPARATOR = ' · ';

/** Characters on screen: our status text is single-width (ASCII, `█░·…`), one per code point. */
function widthOf(text: string): number {
  return Array.from(text).length;
}

function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * Lays logical status lines out as physical ones no wider than `columns - 1`: a line too long
 * is broken between its parts (at ` · `), the rest indented like it, and a single part still
 * too long is cut with `…`. One column is left free because a line that fills the last column
 * leaves the cursor in a pending wrap, where terminals differ on what the next write does; so
 * each physical line is exactly one terminal row, and redrawing in place can erase exactly what
 * was drawn.
 */
export function fitToWidth(lines: readonly string[], columns: number): string[] {
  const width = Math.max(1, Math.floor(columns) - 1);
  const fitted: string[] = [];
  for (const line of lines) {
    if (widthOf(line) <= width) {
      fitted.push(line);
      continue;
    }
    const indent = /^ */.exec(line)?.[0] ?? '';
    const parts = line.slice(indent.length).split(PART_SEPARATOR);
    let current = indent;
    let hasPart = false;
    for (const part of parts) {
      const candidate = hasPart ? `${current}${PART_SEPARATOR}${part}` : `${current}${part}`;
      if (!hasPart || widthOf(candidate) <= width) {
        current = candidate;
        hasPart = true;
        continue;
      }
      fitted.push(truncate(current, width));
      current = `${indent}  ${part}`;
    }
    fitted.push(truncate(current, width));
  }
  return fitted;
}
