import { fitToWidth } from './fit-to-width.js';

/** Clear the whole row the cursor is on. */
const CLEAR_ROW = '\x1b[2K';
/** Cursor up one row. */
const UP = '\x1b[1A';
/** What a terminal is assumed to be when it does not say (Node leaves `columns` undefined). */
const DEFAULT_COLUMNS = 80;

export interface LiveArea {
  /** Columns a line may take now (the terminal's width less the one fitToWidth leaves free). */
  width(): number;
  /** Replaces what was drawn last with these lines, laid out to the terminal's current width. */
  draw(lines: readonly string[]): void;
  /** Leaves the last drawing on screen and moves the cursor below it. */
  done(): void;
}

/**
 * A few status lines redrawn in place on a terminal. Each draw first erases exactly the rows
 * the last one took: every physical line is kept narrower than the terminal (fitToWidth), and
 * the width is read at each draw, so a terminal narrowed since the last draw (whose rows then
 * wrapped) is counted as it is now.
 */
export function createLiveArea(stream: { write(text: string): unknown; readonly columns?: number | undefined }): LiveArea {
  let drawn: string[] = [];

  function columnsNow(): number {
    return stream.columns !== undefined && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
  }

  function rowsTaken(columns: number): number {
    return drawn.reduce((rows, line) => rows + Math.max(1, Math.ceil(Array.from(line).length / columns)), 0);
  }

  return {
    width() {
      return columnsNow() - 1;
    },
    draw(lines) {
      const columns = columnsNow();
      const rows = rowsTaken(columns);
      const rewind = rows === 0 ? '' : `\r${CLEAR_ROW}${`${UP}${CLEAR_ROW}`.repeat(rows - 1)}`;
      drawn = fitToWidth(lines, columns);
      stream.write(`${rewind}${drawn.join('\n')}`);
    },
    done() {
      if (drawn.length > 0) stream.write('\n');
      drawn = [];
    },
  };
}
