import type { GalleryRow } from './render-gallery.js';

export interface GallerySelectionOptions {
  /** Rows to skip, in gallery order (for pages after the first). Default 0. */
  readonly offset?: number;
  /** Most rows returned. Default: all. */
  readonly limit?: number;
}

export interface GallerySelection<T extends GalleryRow> {
  /** The rows asked for, ordered by id (digits compared as numbers) then variant. */
  readonly rows: T[];
  /** Rows per status over everything read, not just the selection. */
  readonly totals: Record<string, number>;
  /** Rows read in all. */
  readonly total: number;
}

const collator = new Intl.Collator('en', { numeric: true });

function compareRows(a: GalleryRow, b: GalleryRow): number {
  return collator.compare(a.id, b.id) || a.variant - b.variant;
}

function parseCount(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) || value === Infinity) || value < 0) throw new RangeError(`${field}: ${value} is not a whole number ≥ 0`);
  return value;
}

/**
 * One page of a batch's manifest for a gallery, in a stable order whatever order the store
 * lists records in, plus the counts per status of the whole batch. Holds at most about twice
 * `offset + limit` rows at a time, not the whole batch: rows are sorted and cut down whenever
 * the buffer doubles.
 */
export async function selectGalleryRows<T extends GalleryRow>(rows: AsyncIterable<T>, options: GallerySelectionOptions = {}): Promise<GallerySelection<T>> {
  const offset = parseCount('offset', options.offset, 0);
  const limit = parseCount('limit', options.limit, Infinity);
  const keep = offset + limit;
  const totals: Record<string, number> = {};
  let total = 0;
  let buffer: T[] = [];
  for await (const row of rows) {
    total++;
    totals[row.status] = (totals[row.status] ?? 0) + 1;
    if (keep === 0) continue;
    buffer.push(row);
    if (buffer.length >= Math.max(2 * keep, 1024) && Number.isFinite(keep)) buffer = buffer.sort(compareRows).slice(0, keep);
  }
  buffer.sort(compareRows);
  return { rows: buffer.slice(offset, keep), totals, total };
}
