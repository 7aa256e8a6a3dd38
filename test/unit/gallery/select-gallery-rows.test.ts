import { describe, expect, it } from 'vitest';
import type { GalleryRow } from '../../../src/gallery/render-gallery.js';
import { selectGalleryRows } from '../../../src/gallery/select-gallery-rows.js';

function row(id: string, variant: number, status: GalleryRow['status']): GalleryRow {
  return { id, variant, status, location: undefined, prompt: undefined, revisedPrompt: undefined, deployment: undefined, latencyMs: undefined, attempts: undefined, error: undefined, metadata: {} };
}

async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

/** A deterministic shuffle, as a store lists records in no particular order. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('selectGalleryRows', () => {
  it('orders by id with digits read as numbers, then variant, and counts every status', async () => {
    const rows = [row('row-10', 0, 'stored'), row('row-2', 1, 'failed'), row('row-2', 0, 'stored'), row('a', 0, 'pending')];
    const selection = await selectGalleryRows(stream(rows));
    expect(selection.rows.map((r) => `${r.id}/${r.variant}`)).toEqual(['a/0', 'row-2/0', 'row-2/1', 'row-10/0']);
    expect(selection.totals).toEqual({ stored: 2, failed: 1, pending: 1 });
    expect(selection.total).toBe(4);
  });

  it('pages through a large shuffled batch: pages join up to the whole batch in order, and totals stay whole-batch', async () => {
    const all = Array.from({ length: 5_003 }, (_, i) => row(`img-${i}`, 0, i % 10 === 0 ? 'filtered' : 'stored'));
    const input = shuffled(all);
    const pages: GalleryRow[] = [];
    for (let offset = 0; offset < all.length; offset += 700) {
      const selection = await selectGalleryRows(stream(input), { offset, limit: 700 });
      expect(selection.total).toBe(5_003);
      expect(selection.totals).toEqual({ filtered: 501, stored: 4_502 });
      pages.push(...selection.rows);
    }
    expect(pages.map((r) => r.id)).toEqual(all.map((r) => r.id));
  });

  it('with limit 0 only counts', async () => {
    const selection = await selectGalleryRows(stream([row('a', 0, 'stored')]), { limit: 0 });
    expect(selection).toEqual({ rows: [], totals: { stored: 1 }, total: 1 });
  });

  it.each([[{ offset: -1 }], [{ limit: 1.5 }], [{ limit: Number.NaN }]])('refuses %j', async (options) => {
    await expect(selectGalleryRows(stream([]), options)).rejects.toThrow(RangeError);
  });
});
