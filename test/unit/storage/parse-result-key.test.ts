import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../src/errors/imgbatch-error.js';
import { parseBatchId, parseImageExtension, parseResultKey } from '../../../src/storage/parse-result-key.js';

function refusal(run: () => unknown): StorageError {
  try {
    run();
  } catch (error) {
    if (error instanceof StorageError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseResultKey', () => {
  it.each([
    ['batch-1/row-12-0', 'batch-1', 'row-12-0'],
    ['b.2024_01/req.a-9', 'b.2024_01', 'req.a-9'],
  ])('splits %j into batch and name', (key, batchId, name) => {
    expect(parseResultKey(key)).toEqual({ batchId, name });
  });

  it.each([
    ['', 'empty'],
    ['no-slash-0', 'no batch'],
    ['a/b/c-0', 'two slashes'],
    ['/abs-0', 'absolute'],
    ['/etc/passwd', 'absolute path'],
    ['../x-0', 'parent batch'],
    ['a/..', 'parent name'],
    ['./x-0', 'current folder'],
    ['a/.', 'current folder name'],
    ['a//x-0', 'empty segment'],
    ['a/', 'empty name'],
    ['a\\..\\x-0', 'backslashes'],
    ['a/x\\y-0', 'backslash in name'],
    ['C:/x-0', 'drive letter'],
    ['a/x y-0', 'space'],
    ['a/x\0-0', 'NUL'],
    ['a/x%2F-0', 'percent encoding'],
    ['a/x?-0', 'query character'],
  ])('refuses %j (%s) as a non-transient StorageError naming the key', (key) => {
    const error = refusal(() => parseResultKey(key));
    expect(error.isTransient).toBe(false);
    expect(error.message).toContain(JSON.stringify(key));
  });
});

describe('parseBatchId', () => {
  it('accepts a safe batch id', () => {
    expect(parseBatchId('batch-2024.01_a')).toBe('batch-2024.01_a');
  });

  it.each([[''], ['.'], ['..'], ['a/b'], ['a\\b'], ['/a']])('refuses %j', (batchId) => {
    expect(refusal(() => parseBatchId(batchId)).isTransient).toBe(false);
  });
});

describe('parseImageExtension', () => {
  it.each([['png'], ['jpeg'], ['webp']])('accepts %j', (extension) => {
    expect(parseImageExtension(extension)).toBe(extension);
  });

  it.each([['json'], ['tmp'], ['.png'], ['PNG'], [''], ['png/../x'], ['averyverylongextension']])('refuses %j', (extension) => {
    expect(refusal(() => parseImageExtension(extension)).isTransient).toBe(false);
  });
});
