import { deflateSync } from 'node:zlib';
import { pngChunk } from './png-chunk.js';

/** Raw pixels, 4 bytes per pixel (red, green, blue, alpha), rows top to bottom. */
export interface RgbaImage {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly rgba: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BIT_DEPTH_8 = 8;
const COLOUR_TYPE_RGBA = 6;
const FILTER_NONE = 0;

/**
 * Encodes an RGBA image as a minimal PNG (IHDR, one IDAT, IEND; 8-bit RGBA, no filtering):
 * enough for any viewer and for tests that decode the result.
 */
export function encodePng(image: RgbaImage): Buffer {
  const { widthPx, heightPx, rgba } = image;
  if (!Number.isInteger(widthPx) || !Number.isInteger(heightPx) || widthPx < 1 || heightPx < 1) {
    throw new RangeError(`PNG dimensions must be positive whole numbers, got ${widthPx}x${heightPx}`);
  }
  const rowBytes = widthPx * 4;
  if (rgba.length !== rowBytes * heightPx) {
    throw new RangeError(`expected ${rowBytes * heightPx} RGBA bytes for ${widthPx}x${heightPx}, got ${rgba.length}`);
  }

  const header = Buffer.alloc(13);
  header.writeUInt32BE(widthPx, 0);
  header.writeUInt32BE(heightPx, 4);
  header.writeUInt8(BIT_DEPTH_8, 8);
  header.writeUInt8(COLOUR_TYPE_RGBA, 9);
  // Bytes 10–12: compression 0 (deflate), filter method 0, no interlace.

  // Each scanline starts with its filter type byte.
  const scanlines = Buffer.alloc((rowBytes + 1) * heightPx);
  for (let y = 0; y < heightPx; y++) {
    const offset = y * (rowBytes + 1);
    scanlines[offset] = FILTER_NONE;
    scanlines.set(rgba.subarray(y * rowBytes, (y + 1) * rowBytes), offset + 1);
  }

  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanlines)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}
