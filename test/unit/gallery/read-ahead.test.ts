import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/gallery/read-ahead.js';

describe('readAhead', () => {
  it('starts the next window - 1 loads when one is asked for, and loads each item once', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const started: string[] = [];
    const take = readAhead(items, (item) => {
      started.push(item);
      return Promise.resolve(item.toUpperCase());
    }, 3);
    expect(await take('a')).toBe('A');
    expect(started).toEqual(['a', 'b', 'c']);
    expect(await take('b')).toBe('B');
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    for (const item of ['c', 'd', 'e', 'f']) expect(await take(item)).toBe(item.toUpperCase());
    expect(started).toEqual(items);
  });

  it('hands a failed load to the caller that takes it, and to no one before', async () => {
    const take = readAhead([1, 2], (n) => (n === 2 ? Promise.reject(new Error('no 2')) : Promise.resolve(n)), 2);
    expect(await take(1)).toBe(1);
    await expect(take(2)).rejects.toThrow('no 2');
  });

  it('loads an item it was not given, and refuses a window below 1', async () => {
    expect(await readAhead([1], (n) => Promise.resolve(n * 2))(5)).toBe(10);
    expect(() => readAhead([1], (n) => Promise.resolve(n), 0)).toThrow(RangeError);
  });
});
