import { createSeededRandom, type SeededRandom } from '../../src/simulator/seeded-random.js';

/** The CSV's columns: request fields, then `note`, an extra column carried as metadata. */
export const HOSTILE_CSV_COLUMNS = ['id', 'prompt', 'n', 'model', 'size', 'quality', 'note'] as const;
type Column = (typeof HOSTILE_CSV_COLUMNS)[number];

/** A cell's content: text (UTF-8 encoded), or raw bytes that may not be UTF-8 at all. */
type Cell = string | Buffer;

export interface GeneratedRow {
  /** The spreadsheet row number (the header is row 1). */
  readonly row: number;
  readonly id: string;
  /** For a bad row: the field the rejection must name, and what was done to it. */
  readonly defect?: { readonly field: string; readonly kind: string };
  /** For a good row: images it asks for, and its prompt and note as they must come out. */
  readonly n: number;
  readonly prompt: string;
  readonly note: string;
}

export interface HostileCsv {
  readonly bytes: Buffer;
  readonly rows: readonly GeneratedRow[];
  readonly good: readonly GeneratedRow[];
  readonly bad: readonly GeneratedRow[];
}

const MODEL = 'gpt-image-1-mini';
const WORDS = ['red', 'mug', 'lamp', 'kite', 'ä', '東京', '🙂', 'studio', 'shot', 'a,b', 'say "hi"', 'line\nbreak', 'tab\there'];
// Spreadsheet formula starts: fine as input, neutralised on export.
const FORMULA_STARTS = ['=', '+', '-', '@'];
const BAD_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from([0xc0, 0xaf]), // an overlong "/"
  Buffer.from([0xe2, 0x82]), // a truncated sequence
];
const CONTROLS = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0008'];
const BAD_IDS = ['../etc', '..', '.', 'a/b', 'a\\b', 'CON', 'nul', 'Lpt1.txt', 'com3', '=1+2', '+x', '-x', '@x', 'x.', 'a..b', 'x:y', 'a b'];
const BAD_MODELS = ['gpt-image-9', '=cmd|calc', '../model', 'DALL-E-3 '];
const BAD_SIZES = ['999x999', '1792x1024', '=1024x1024', 'big'];
const BAD_NS = ['0', '11', '-1', 'two', '2.5', '1e3'];

function pick<T>(random: SeededRandom, list: readonly T[]): T {
  const item = list[Math.floor(random.next() * list.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function words(random: SeededRandom, count: number): string {
  return Array.from({ length: count }, () => pick(random, WORDS)).join(' ');
}

/** A quoted CSV cell; raw bytes go in as they are, so they stay invalid UTF-8. */
function encodeCell(cell: Cell): Buffer {
  const bytes = typeof cell === 'string' ? Buffer.from(cell, 'utf8') : cell;
  const quote = Buffer.from('"');
  const parts: Buffer[] = [quote];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) {
      parts.push(bytes.subarray(start, i + 1), quote);
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start), quote);
  return Buffer.concat(parts);
}

function spliceBytes(text: string, insert: Buffer, random: SeededRandom): Buffer {
  const at = 1 + Math.floor(random.next() * Math.max(1, text.length - 2));
  return Buffer.concat([Buffer.from(text.slice(0, at), 'utf8'), insert, Buffer.from(text.slice(at), 'utf8')]);
}

/**
 * A CSV of `rows` rows, about `badShare` of them hostile, each bad row with exactly one defect
 * in one known field: bytes that are not UTF-8, control characters and NULs, a prompt far
 * over the model's limit, an unknown model, a size the model lacks, n out of range, an id with
 * `../`, slashes, a reserved name or a formula start. Good rows hold quotes, commas, line
 * breaks, non-ASCII text, and prompts and notes that start like a spreadsheet formula. The same
 * seed gives the same bytes, so a failure reproduces.
 */
export function generateHostileCsv(seed: number, rows: number, badShare = 0.4): HostileCsv {
  const random = createSeededRandom(seed);
  // Lines end in CRLF, and now and then in LF alone, as in files joined from two sources.
  const lines: Buffer[] = [Buffer.from(`${HOSTILE_CSV_COLUMNS.join(',')}\r\n`)];
  const generated: GeneratedRow[] = [];
  for (let i = 0; i < rows; i++) {
    const row = i + 2;
    const id = `r${i}`;
    const formula = random.next() < 0.3 ? pick(random, FORMULA_STARTS) : '';
    const prompt = `${formula}${words(random, 2 + Math.floor(random.next() * 5))} ${i}`;
    const note = random.next() < 0.3 ? `${pick(random, FORMULA_STARTS)}SUM(A1:A9)` : words(random, 2);
    const n = 1 + Math.floor(random.next() * 2);
    const cells: Record<Column, Cell> = { id, prompt, n: String(n), model: MODEL, size: '1024x1024', quality: 'low', note };
    let defect: GeneratedRow['defect'];
    if (random.next() < badShare) {
      const kind = pick(random, ['utf8-prompt', 'utf8-note', 'control-prompt', 'control-note', 'long-prompt', 'model', 'size', 'n', 'id', 'quality'] as const);
      switch (kind) {
        case 'utf8-prompt':
          cells.prompt = spliceBytes(prompt, pick(random, BAD_UTF8), random);
          defect = { field: 'prompt', kind };
          break;
        case 'utf8-note':
          cells.note = spliceBytes(note, pick(random, BAD_UTF8), random);
          defect = { field: 'metadata.note', kind };
          break;
        case 'control-prompt':
          cells.prompt = `${prompt.slice(0, 3)}${pick(random, CONTROLS)}${prompt.slice(3)}`;
          defect = { field: 'prompt', kind };
          break;
        case 'control-note':
          cells.note = `${note.slice(0, 2)}${pick(random, CONTROLS)}${note.slice(2)}`;
          defect = { field: 'metadata.note', kind };
          break;
        case 'long-prompt':
          cells.prompt = `${prompt} ${'x'.repeat(32_000 + Math.floor(random.next() * 100_000))}`;
          defect = { field: 'prompt', kind };
          break;
        case 'model':
          cells.model = pick(random, BAD_MODELS);
          defect = { field: 'model', kind };
          break;
        case 'size':
          cells.size = pick(random, BAD_SIZES);
          defect = { field: 'size', kind };
          break;
        case 'n':
          cells.n = pick(random, BAD_NS);
          defect = { field: 'n', kind };
          break;
        case 'id':
          cells.id = pick(random, BAD_IDS);
          defect = { field: 'id', kind };
          break;
        case 'quality':
          cells.quality = pick(random, ['ultra', '=HYPERLINK("x")', 'hd']);
          defect = { field: 'quality', kind };
          break;
      }
    }
    lines.push(Buffer.concat([...HOSTILE_CSV_COLUMNS.flatMap((column, index) => (index === 0 ? [encodeCell(cells[column])] : [Buffer.from(','), encodeCell(cells[column])])), Buffer.from(random.next() < 0.2 ? '\n' : '\r\n')]));
    generated.push({ row, id, n, prompt, note, ...(defect !== undefined && { defect }) });
  }
  return {
    bytes: Buffer.concat(lines),
    rows: generated,
    good: generated.filter((r) => r.defect === undefined),
    bad: generated.filter((r) => r.defect !== undefined),
  };
}
