import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { decodeRecord } from '../../../src/storage/decode-record.js';
import { encodeRecord } from '../../../src/storage/encode-record.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';

const record: ImageRecord = {
  key: 'b/r-0',
  batchId: 'b',
  requestId: 'r',
  variant: 0,
  status: 'stored',
  prompt: 'a red fox',
  model: 'gpt-image-1',
  size: '1024x1024',
  quality: 'low',
  deployment: 'east',
  latencyMs: 1000,
  attempts: 1,
  createdAt: '2025-01-01T00:00:00.000Z',
};

describe('encodeRecord and decodeRecord', () => {
  it('round-trip a record as pretty JSON with a final newline', () => {
    const text = encodeRecord('b/r-0', record);
    expect(text).toBe(`${JSON.stringify(record, null, 2)}\n`);
    expect(decodeRecord(text)).toEqual(record);
  });

  it('encodeRecord refuses a record filed under another key', () => {
    expect(() => encodeRecord('b/other-0', record)).toThrow(StorageError);
  });

  it('encodeRecord refuses a record the schema would not read back', () => {
    expect(() => encodeRecord('b/r-0', { ...record, latencyMs: Number.POSITIVE_INFINITY })).toThrow(/latencyMs/);
  });

  it.each([['{"key": "b/r-0"'], ['not json'], ['null'], ['[]'], [JSON.stringify({ ...record, status: 'half' })], ['']])(
    'decodeRecord reads damaged text %j as missing (null)',
    (text) => {
      expect(decodeRecord(text)).toBeNull();
    },
  );
});
