import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/simulator/crc32.js';

describe('crc32', () => {
  it('matches the standard CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789', 'ascii'))).toBe(0xcbf43926);
  });

  it('matches the CRC of the IEND chunk every PNG ends with', () => {
    expect(crc32(Buffer.from('IEND', 'ascii'))).toBe(0xae426082);
  });

  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
