import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ValidationError, type FieldIssue } from '../errors/imgbatch-error.js';
import type { RequestInput } from '../job/prepare-jobs.js';
import type { PromptTemplate } from './prompt-template.js';

/**
 * Request field -> the header names that fill it, best first. Header names are compared
 * case-insensitively, with spaces and hyphens read as `_` (`Output Format` is `output_format`).
 * The first name is the field's own column and always wins; an alias fills the field only when
 * the file has no column of a better name, so a file with both `id` and `sku` keeps `sku` as
 * metadata. Columns that fill no field are carried as metadata under their header name.
 */
const CSV_COLUMN_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  id: ['id', 'sku', 'key', 'request_id'],
  prompt: ['prompt', 'text', 'description'],
  // Not `images`: a column of that name far more likely holds input images (see below).
  n: ['n', 'count', 'num_images'],
  model: ['model', 'deployment_model', 'model_id'],
  size: ['size'],
  quality: ['quality'],
  style: ['style'],
  outputFormat: ['output_format'],
  outputCompression: ['output_compression'],
  background: ['background'],
  responseFormat: ['response_format'],
  user: ['user'],
  pool: ['pool'],
  images: ['image', 'images', 'input_image', 'input_images'],
  mask: ['mask'],
  inputFidelity: ['input_fidelity'],
});
/** Separates several input images in one cell: `front.png|back.png`. */
const IMAGE_SEPARATOR = '|';
const WHOLE_NUMBER = /^\d+$/;
const NUMERIC_FIELDS = new Set(['n', 'outputCompression']);
const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/;

/** A cell that is a plain number becomes a number; anything else stays text for validation to name. */
function cellValue(field: string, cell: string): unknown {
  // Any decimal number becomes a number, so validation can say "2.5 is not a whole number".
  if (NUMERIC_FIELDS.has(field) && DECIMAL.test(cell)) return Number(cell);
  return cell;
}

export interface CsvRequestOptions {
  /** Model for rows whose `model` cell is empty. */
  readonly defaultModel?: string;
  /** Builds each row's prompt from its columns instead of a prompt column; default none. */
  readonly promptTemplate?: PromptTemplate;
}

interface Column {
  readonly index: number;
  /** The request field it fills, or undefined for a metadata column. */
  readonly field: string | undefined;
  /** Header name, trimmed and lower-case: the metadata key. */
  readonly name: string;
}

/** Which column fills which field; see CSV_COLUMN_ALIASES. */
function planColumns(header: readonly string[]): Column[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const normalized = names.map((name) => name.replace(/[\s-]+/g, '_'));
  const fieldOf = new Map<number, string>();
  for (const [field, aliases] of Object.entries(CSV_COLUMN_ALIASES)) {
    for (const alias of aliases) {
      const index = normalized.findIndex((name, i) => name === alias && !fieldOf.has(i));
      if (index >= 0) {
        fieldOf.set(index, field);
        break;
      }
    }
  }
  return names.map((name, index) => ({ index, field: fieldOf.get(index), name }));
}

/** Looks a template's columns up in the header once, so a misspelt one fails before any row. */
function bindTemplate(template: PromptTemplate, columns: readonly Column[]): Map<string, number> {
  const byName = new Map<string, number>();
  for (const column of columns) {
    const normalized = column.name.replace(/[\s-]+/g, '_');
    for (const name of [column.name, normalized]) if (!byName.has(name)) byName.set(name, column.index);
  }
  const missing = template.columns.filter((name) => !byName.has(name) && !byName.has(name.replace(/[\s-]+/g, '_')));
  if (missing.length > 0) {
    throw new ValidationError([
      {
        field: 'prompt template',
        reason: `${missing.map((name) => `{${name}}`).join(', ')} ${missing.length === 1 ? 'is not a column' : 'are not columns'} of this file (columns: ${columns.map((c) => c.name).join(', ')})`,
      },
    ]);
  }
  return new Map(template.columns.map((name) => [name, byName.get(name) ?? byName.get(name.replace(/[\s-]+/g, '_')) ?? -1]));
}

/**
 * Streams a CSV file (a path) or a CSV stream (an HTTP body) of prompts into request inputs, one per row, without holding the file
 * in memory. Rows are numbered as a spreadsheet shows them (the header is row 1). UTF-8 with
 * or without BOM; quoted fields may hold commas and newlines; header names are case-insensitive
 * and may use the aliases in CSV_COLUMN_ALIASES. With a prompt template, a row that leaves a
 * column the template uses empty comes with an issue naming it (the row is rejected, the file
 * goes on); a template column missing from the header fails the whole file with ValidationError.
 */
export async function* readCsvRequests(source: string | Readable, options: CsvRequestOptions = {}): AsyncGenerator<RequestInput> {
  // Blank lines are parsed, not skipped, so that row numbers match what a spreadsheet shows.
  // Rows come as arrays, matched to the header here: cheaper per row than csv-parse's objects.
  // Line endings are named rather than guessed from the first line: a file whose lines end in
  // both CRLF and LF (files joined, or edited in two editors) would otherwise fail at the first
  // quoted cell followed by the other ending, as a baffling "Invalid Closing Quote".
  const parser = parse({ bom: true, skip_empty_lines: false, relax_column_count: true, trim: false, record_delimiter: ['\r\n', '\n', '\r'] });
  // pipeline() hands a read error (missing file, no permission) to the parser, so iterating fails
  // with it instead of the error escaping as an uncaught exception.
  pipeline(typeof source === 'string' ? createReadStream(source) : source, parser, () => undefined);
  const template = options.promptTemplate;
  let header: readonly string[] | undefined;
  let columns: Column[] = [];
  let templateColumns = new Map<string, number>();
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    row++;
    if (header === undefined) {
      header = record;
      columns = planColumns(record);
      if (template !== undefined) templateColumns = bindTemplate(template, columns);
      continue;
    }
    // Empty lines, and rows of only spaces or commas (spreadsheet exports), are not requests.
    if (columns.every((column) => (record[column.index] ?? '').trim() === '')) continue;
    const request: Record<string, unknown> = {};
    let metadata: Record<string, string> | undefined;
    const location = `row ${row}`;
    let issues: FieldIssue[] | undefined;
    for (const column of columns) {
      const raw = record[column.index];
      if (raw === undefined) continue;
      const cell = column.field === 'prompt' ? raw : raw.trim();
      if (cell === '') continue;
      if (column.field === undefined) (metadata ??= {})[column.name] = cell;
      else if (column.field === 'images') {
        // Files that used `images` for the number of images (it was once an alias of n) must
        // not have "4" read as a file name, nor their rows generated without a word.
        if (WHOLE_NUMBER.test(cell)) {
          (issues ??= []).push({
            location,
            field: column.name,
            reason: `${JSON.stringify(cell)} is a number, but the ${column.name} column holds input images to edit (paths or URLs separated by "${IMAGE_SEPARATOR}"), not a count of images; put counts in a column named n`,
          });
        }
        request.images = cell.split(IMAGE_SEPARATOR).map((part) => part.trim()).filter((part) => part !== '');
      } else request[column.field] = cellValue(column.field, cell);
    }
    if (request.model === undefined && options.defaultModel !== undefined) request.model = options.defaultModel;
    if (metadata !== undefined) request.metadata = metadata;
    if (template !== undefined) {
      const rendered = template.render((name) => record[templateColumns.get(name) ?? -1]?.trim());
      if ('prompt' in rendered) request.prompt = rendered.prompt;
      else (issues ??= []).push(...rendered.missing.map((name) => ({ location, field: name, reason: `is empty, and the prompt template ${JSON.stringify(template.text)} uses it` })));
    }
    yield { request, location, position: { row }, defaultId: `row-${row}`, original: { columns: header, values: record }, ...(issues !== undefined && { issues }) };
  }
}
