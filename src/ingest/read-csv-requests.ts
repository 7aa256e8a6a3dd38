import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { RequestInput } from '../job/prepare-jobs.js';

/** CSV column -> request field. Columns not listed here are carried as metadata. */
const COLUMN_FIELDS: Readonly<Record<string, string>> = {
  id: 'id',
  prompt: 'prompt',
  n: 'n',
  model: 'model',
  size: 'size',
  quality: 'quality',
  style: 'style',
  output_format: 'outputFormat',
  output_compression: 'outputCompression',
  background: 'background',
  response_format: 'responseFormat',
  user: 'user',
  pool: 'pool',
};
const NUMERIC_FIELDS = new Set(['n', 'outputCompression']);

/** A cell that is a plain integer becomes a number; anything else stays text for validation to name. */
function cellValue(field: string, cell: string): unknown {
  // Any decimal number becomes a number, so validation can say "2.5 is not a whole number".
  if (NUMERIC_FIELDS.has(field) && /^\s*-?\d+(\.\d+)?\s*$/.test(cell)) return Number(cell);
  return cell;
}

export interface CsvRequestOptions {
  /** Model for rows whose `model` cell is empty. */
  readonly defaultModel?: string;
}

/**
 * Streams a CSV file (a path) or a CSV stream (an HTTP body) of prompts into request inputs, one per row, without holding the file
 * in memory. Rows are numbered as a spreadsheet shows them (the header is row 1). UTF-8 with
 * or without BOM; quoted fields may hold commas and newlines; header names are case-insensitive.
 */
export async function* readCsvRequests(source: string | Readable, options: CsvRequestOptions = {}): AsyncGenerator<RequestInput> {
  // Blank lines are parsed, not skipped, so that row numbers match what a spreadsheet shows.
  const parser = parse({ bom: true, columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: false, relax_column_count: true, trim: false });
  // pipeline() hands a read error (missing file, no permission) to the parser, so iterating fails
  // with it instead of the error escaping as an uncaught exception.
  pipeline(typeof source === 'string' ? createReadStream(source) : source, parser, () => undefined);
  let row = 1;
  for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
    row++;
    // Empty lines, and rows of only spaces or commas (spreadsheet exports), are not requests.
    if (Object.values(record).every((cell) => cell === undefined || cell.trim() === '')) continue;
    const request: Record<string, unknown> = {};
    const metadata: Record<string, string> = {};
    for (const [column, raw] of Object.entries(record)) {
      if (raw === undefined) continue;
      const cell = column === 'prompt' ? raw : raw.trim();
      if (cell === '') continue;
      const field = COLUMN_FIELDS[column];
      if (field === undefined) metadata[column] = cell;
      else request[field] = cellValue(field, cell);
    }
    if (request.model === undefined && options.defaultModel !== undefined) request.model = options.defaultModel;
    if (Object.keys(metadata).length > 0) request.metadata = metadata;
    yield { request, location: `row ${row}`, defaultId: `row-${row}` };
  }
}
