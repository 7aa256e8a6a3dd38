import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLocalFilesystem } from '../../../src/storage/is-local-filesystem.js';

describe('isLocalFilesystem', () => {
  it('judges a folder not made yet by the nearest folder above it that is there', () => {
    expect(isLocalFilesystem(join(tmpdir(), 'imgbatch-not-made', 'batch', 'deeper'))).toBe(isLocalFilesystem(tmpdir()));
  });

  it('is false for a filesystem that is not a local disk (procfs) and on other platforms', () => {
    expect(isLocalFilesystem('/proc')).toBe(false);
    expect(isLocalFilesystem(tmpdir(), 'darwin')).toBe(false);
    expect(isLocalFilesystem(tmpdir(), 'win32')).toBe(false);
  });
});
