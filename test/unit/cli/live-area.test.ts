import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fitToWidth } from '../../../src/cli/fit-to-width.js';
import { createLiveArea } from '../../../src/cli/live-area.js';

/** A terminal of `columns` that records what was written. */
function fakeTerminal(columns: number): { stream: { columns: number; write(text: string): boolean }; written: string[] } {
  const written: string[] = [];
  const stream = {
    columns,
    write(text: string) {
      written.push(text);
      return true;
    },
  };
  return { stream, written };
}

/** The rows a write puts on screen: its text split at newlines, control sequences removed. */
function rowsOf(write: string): string[] {
  return stripVTControlCharacters(write).replace(/^\r/, '').split('\n');
}

const LONG = 'spring-sale-2026 [██████░░░░░░░░░░░░░░░░░░] 25% 250/1000 · stored 240 · filtered 4 · failed 6 · cancelled 3 · skipped 1';

describe('fitToWidth', () => {
  it.each([20, 40, 80, 120])('never gives a line wider than %i - 1 columns', (columns) => {
    for (const line of fitToWidth([LONG, `  ${'x'.repeat(300)}`, '', 'short'], columns)) expect(Array.from(line).length).toBeLessThanOrEqual(columns - 1);
  });

  it('breaks a long line between its parts, indenting what follows, and keeps every part', () => {
    expect(fitToWidth(['  12 of 60 calls/min (20%) · calls 250 · 429s 0 · elapsed 4 m 10 s · ETA 12 m 30 s at quota'], 50)).toEqual([
      '  12 of 60 calls/min (20%) · calls 250 · 429s 0',
      '    elapsed 4 m 10 s · ETA 12 m 30 s at quota',
    ]);
  });

  it('cuts a single part too long for the width with …', () => {
    expect(fitToWidth(['abcdefghij'], 6)).toEqual(['abcd…']);
  });

  it('leaves lines that fit as they are', () => {
    expect(fitToWidth(['a · b', '  c'], 80)).toEqual(['a · b', '  c']);
  });
});

describe('createLiveArea', () => {
  it.each([40, 80, 132])('draws rows no wider than the terminal (%i columns) and, redrawing, goes up over exactly the rows it drew', (columns) => {
    const { stream, written } = fakeTerminal(columns);
    const area = createLiveArea(stream);
    area.draw([LONG, `  ${LONG}`]);
    area.draw(['done']);
    const [first, second] = written;
    const firstRows = rowsOf(first ?? '');
    for (const row of firstRows) expect(Array.from(row).length).toBeLessThan(columns);
    // Clear the row the cursor is on, then one (up, clear) per other row drawn: back to the first.
    expect(second).toBe(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(firstRows.length - 1)}done`);
  });

  it('counts the rows of the last drawing at the terminal\'s width now, when it was narrowed since', () => {
    const { stream, written } = fakeTerminal(100);
    const area = createLiveArea(stream);
    area.draw(['x'.repeat(90)]);
    stream.columns = 30;
    area.draw(['y']);
    // 90 columns of text on a 30-column terminal take 3 rows.
    expect(written[1]).toBe(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(2)}y`);
  });

  it('ends below the drawing, and draws nothing to end when it drew nothing', () => {
    const { stream, written } = fakeTerminal(80);
    const area = createLiveArea(stream);
    area.done();
    expect(written).toEqual([]);
    area.draw(['a']);
    area.done();
    expect(written).toEqual(['a', '\n']);
  });
});
