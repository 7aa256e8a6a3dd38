import { describe, expect, it } from 'vitest';
import { createImageFileStore } from '../../../src/simulator/image-file-store.js';

describe('createImageFileStore', () => {
  it('serves what it stored under the returned name', () => {
    const store = createImageFileStore(10);
    const name = store.put({ bytes: Buffer.from('png'), contentType: 'image/png' }, 'png');
    expect(name).toMatch(/^[0-9a-f-]{36}\.png$/);
    expect(store.get(name)?.bytes.toString()).toBe('png');
    expect(store.get('missing.png')).toBeUndefined();
  });

  it('drops the oldest file beyond its bound', () => {
    const store = createImageFileStore(2);
    const first = store.put({ bytes: Buffer.from('1'), contentType: 'image/png' }, 'png');
    store.put({ bytes: Buffer.from('2'), contentType: 'image/png' }, 'png');
    store.put({ bytes: Buffer.from('3'), contentType: 'image/png' }, 'png');
    expect(store.size).toBe(2);
    expect(store.get(first)).toBeUndefined();
  });
});
