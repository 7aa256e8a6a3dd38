import { describe, expect, it } from 'vitest';
import { createRequestIdIndex } from '../../../src/job/request-id-index.js';

describe('createRequestIdIndex', () => {
  it('says where an id was first used, and nothing for a new one', () => {
    const index = createRequestIdIndex();
    expect(index.locationOf('mug')).toBeUndefined();
    index.add('mug', 'row 2');
    expect(index.locationOf('mug')).toBe('row 2');
    expect(index.locationOf('Mug')).toBeUndefined();
    expect(index.locationOf('mu')).toBeUndefined();
  });

  it('keeps the first location when an id is added again', () => {
    const index = createRequestIdIndex();
    index.add('mug', 'row 2');
    index.add('mug', 'row 9');
    expect(index.locationOf('mug')).toBe('row 2');
    expect(index.size).toBe(1);
  });

  it('stays exact through growth: 200,000 ids, every one found at its own location, none invented', () => {
    const index = createRequestIdIndex();
    for (let i = 0; i < 200_000; i++) index.add(`sku-${i}`, `row ${i + 2}`);
    expect(index.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(index.locationOf(`sku-${i}`)).toBe(`row ${i + 2}`);
    expect(index.locationOf('sku-200000')).toBeUndefined();
    expect(index.locationOf('sku-00')).toBeUndefined();
  });

  it('keeps non-ASCII locations (an API caller names its inputs as it likes)', () => {
    const index = createRequestIdIndex();
    index.add('a', 'requests[0] — Zürich');
    expect(index.locationOf('a')).toBe('requests[0] — Zürich');
  });
});
