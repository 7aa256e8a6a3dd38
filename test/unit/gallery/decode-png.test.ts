import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../../src/gallery/decode-png.js';
import { fakeImage } from '../../../src/simulator/fake-image.js';
import { pngChunk } from '../../../src/simulator/png-chunk.js';
import { encodePng } from '../../../src/simulator/png-encoder.js';

interface RawPng {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly depth: number;
  readonly colourType: number;
  /** Unfiltered scanlines, packed as the PNG stores them. */
  readonly rows: readonly Uint8Array[];
  /** Filter type applied to every row (0 none, 1 sub, 2 up, 3 average, 4 paeth). */
  readonly filter: number;
  readonly palette?: Uint8Array;
  readonly paletteAlpha?: Uint8Array;
  readonly interlace?: number;
}

function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
  if (pa <= pb && pa <= pc) return left;
  return pb <= pc ? up : upLeft;
}

/** A PNG written the long way, with the filters applied forward, to test the decoder's inverse. */
function encodeRaw(png: RawPng): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[png.colourType] ?? 1;
  const bytesPerPixel = Math.max(1, (channels * png.depth) >> 3);
  const filtered: number[] = [];
  png.rows.forEach((row, y) => {
    const above = y > 0 ? png.rows[y - 1] : undefined;
    filtered.push(png.filter);
    row.forEach((raw, i) => {
      const left = i >= bytesPerPixel ? (row[i - bytesPerPixel] ?? 0) : 0;
      const up = above?.[i] ?? 0;
      const upLeft = i >= bytesPerPixel ? (above?.[i - bytesPerPixel] ?? 0) : 0;
      const predicted = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][png.filter] ?? 0;
      filtered.push((raw - predicted) & 0xff);
    });
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(png.widthPx, 0);
  header.writeUInt32BE(png.heightPx, 4);
  header.writeUInt8(png.depth, 8);
  header.writeUInt8(png.colourType, 9);
  header.writeUInt8(png.interlace ?? 0, 12);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    ...(png.palette === undefined ? [] : [pngChunk('PLTE', png.palette)]),
    ...(png.paletteAlpha === undefined ? [] : [pngChunk('tRNS', png.paletteAlpha)]),
    pngChunk('IDAT', deflateSync(Uint8Array.from(filtered))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A 5×3 RGBA test card with varied values so every filter predicts wrong somewhere. */
const CARD = Array.from({ length: 3 }, (_, y) => Uint8Array.from({ length: 5 * 4 }, (_, i) => (i * 37 + y * 91 + (i % 4 === 3 ? 200 : 0)) & 0xff));

describe('decodePng', () => {
  it.each([0, 1, 2, 3, 4])('undoes filter type %i exactly (8-bit RGBA)', (filter) => {
    const decoded = decodePng(encodeRaw({ widthPx: 5, heightPx: 3, depth: 8, colourType: 6, rows: CARD, filter }));
    expect(decoded).toEqual({ widthPx: 5, heightPx: 3, rgba: Uint8Array.from(CARD.flatMap((row) => [...row])) });
  });

  it('reads what the simulator encodes, pixel for pixel', () => {
    const image = fakeImage({ prompt: 'a kite', variant: 0, widthPx: 40, heightPx: 24, format: 'png', isTransparent: true });
    const decoded = decodePng(image.bytes);
    expect(decoded?.widthPx).toBe(40);
    expect(decoded?.heightPx).toBe(24);
    const again = encodePng({ widthPx: 40, heightPx: 24, rgba: decoded?.rgba ?? new Uint8Array() });
    expect(again.equals(image.bytes)).toBe(true);
  });

  it.each([
    ['8-bit RGB', { depth: 8, colourType: 2, rows: [Uint8Array.from([10, 20, 30, 40, 50, 60])] }, [10, 20, 30, 255, 40, 50, 60, 255]],
    ['16-bit RGB (high bytes kept)', { depth: 16, colourType: 2, rows: [Uint8Array.from([1, 9, 2, 9, 3, 9, 4, 9, 5, 9, 6, 9])] }, [1, 2, 3, 255, 4, 5, 6, 255]],
    ['8-bit grey', { depth: 8, colourType: 0, rows: [Uint8Array.from([0, 200])] }, [0, 0, 0, 255, 200, 200, 200, 255]],
    ['8-bit grey with alpha', { depth: 8, colourType: 4, rows: [Uint8Array.from([100, 7, 50, 255])] }, [100, 100, 100, 7, 50, 50, 50, 255]],
    ['1-bit grey', { depth: 1, colourType: 0, rows: [Uint8Array.from([0b10000000])] }, [255, 255, 255, 255, 0, 0, 0, 255]],
    [
      '4-bit palette with transparency',
      { depth: 4, colourType: 3, rows: [Uint8Array.from([0x10])], palette: Uint8Array.from([1, 2, 3, 4, 5, 6]), paletteAlpha: Uint8Array.from([0]) },
      [4, 5, 6, 255, 1, 2, 3, 0],
    ],
  ])('reads %s', (_name, png, expected) => {
    const decoded = decodePng(encodeRaw({ widthPx: 2, heightPx: 1, filter: 1, ...png }));
    expect([...(decoded?.rgba ?? [])]).toEqual(expected);
  });

  it('gives undefined, never throws, for what it does not read', () => {
    const good = encodeRaw({ widthPx: 5, heightPx: 3, depth: 8, colourType: 6, rows: CARD, filter: 2 });
    expect(decodePng(Buffer.from('GIF89a not a png'))).toBeUndefined();
    expect(decodePng(good.subarray(0, good.length - 30))).toBeUndefined();
    expect(decodePng(encodeRaw({ widthPx: 5, heightPx: 3, depth: 8, colourType: 6, rows: CARD, filter: 0, interlace: 1 }))).toBeUndefined();
    expect(decodePng(encodeRaw({ widthPx: 5, heightPx: 3, depth: 8, colourType: 6, rows: CARD, filter: 7 }))).toBeUndefined();
    expect(decodePng(encodeRaw({ widthPx: 5, heightPx: 3, depth: 8, colourType: 5, rows: CARD, filter: 0 }))).toBeUndefined();
    // A header claiming 10 gigapixels is refused before anything is allocated or inflated.
    expect(decodePng(encodeRaw({ widthPx: 100_000, heightPx: 100_000, depth: 8, colourType: 6, rows: CARD, filter: 0 }))).toBeUndefined();
    // Compressed data that inflates to more than the header allows (a zip bomb) is refused at that limit.
    expect(decodePng(encodeRaw({ widthPx: 1, heightPx: 1, depth: 8, colourType: 6, rows: [new Uint8Array(2_000_000)], filter: 0 }))).toBeUndefined();
  });
});
