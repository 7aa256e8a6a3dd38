import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/simulator/crc32.js';
import { encodePng } from '../../../src/simulator/png-encoder.js';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
}

function readChunks(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    chunks.push({ type, data, crc });
    offset += 12 + length;
  }
  return chunks;
}

describe('encodePng', () => {
  const widthPx = 3;
  const heightPx = 2;
  const rgba = Uint8Array.from({ length: widthPx * heightPx * 4 }, (_, i) => (i * 37) % 256);
  const png = encodePng({ widthPx, heightPx, rgba });

  it('starts with the PNG signature', () => {
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('has IHDR first, IEND last, with 8-bit RGBA dimensions', () => {
    const chunks = readChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]?.data;
    expect(ihdr?.length).toBe(13);
    expect(ihdr?.readUInt32BE(0)).toBe(widthPx);
    expect(ihdr?.readUInt32BE(4)).toBe(heightPx);
    expect(ihdr?.[8]).toBe(8);
    expect(ihdr?.[9]).toBe(6);
  });

  it('gives every chunk a correct CRC over its type and data', () => {
    for (const chunk of readChunks(png)) {
      expect(chunk.crc).toBe(crc32(Buffer.concat([Buffer.from(chunk.type, 'ascii'), chunk.data])));
    }
  });

  it('stores the pixels as unfiltered scanlines that inflate back to the input', () => {
    const idat = readChunks(png).find((c) => c.type === 'IDAT');
    const raw = inflateSync(idat?.data ?? Buffer.alloc(0));
    const rowBytes = widthPx * 4;
    expect(raw.length).toBe((rowBytes + 1) * heightPx);
    for (let y = 0; y < heightPx; y++) {
      expect(raw[y * (rowBytes + 1)]).toBe(0);
      expect([...raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1))]).toEqual([...rgba.subarray(y * rowBytes, (y + 1) * rowBytes)]);
    }
  });

  it('rejects pixel data that does not match the dimensions', () => {
    expect(() => encodePng({ widthPx: 2, heightPx: 2, rgba: new Uint8Array(15) })).toThrow(RangeError);
    expect(() => encodePng({ widthPx: 0, heightPx: 2, rgba: new Uint8Array(0) })).toThrow(RangeError);
  });
});
