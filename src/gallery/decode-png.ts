import { inflateSync } from 'node:zlib';

/** Raw pixels, 4 bytes per pixel (red, green, blue, alpha), rows top to bottom. */
export interface DecodedImage {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Larger images are not decoded: a thumbnail is not worth a gigabyte of pixels (or a zip bomb). */
const MAX_PIXELS = 40_000_000;
/** Samples per pixel by PNG colour type: grey, -, RGB, palette, grey+alpha, -, RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

/** Undoes the per-scanline filters in place; returns false on an unknown filter type. */
function unfilter(data: Uint8Array, heightPx: number, rowBytes: number, bytesPerPixel: number): boolean {
  const stride = rowBytes + 1;
  for (let y = 0; y < heightPx; y++) {
    const start = y * stride + 1;
    const previous = start - stride;
    const filter = data[start - 1] ?? -1;
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= bytesPerPixel ? (data[start + i - bytesPerPixel] ?? 0) : 0;
      const up = y > 0 ? (data[previous + i] ?? 0) : 0;
      const upLeft = y > 0 && i >= bytesPerPixel ? (data[previous + i - bytesPerPixel] ?? 0) : 0;
      const raw = data[start + i] ?? 0;
      switch (filter) {
        case 0:
          continue;
        case 1:
          data[start + i] = raw + left;
          break;
        case 2:
          data[start + i] = raw + up;
          break;
        case 3:
          data[start + i] = raw + ((left + up) >> 1);
          break;
        case 4:
          data[start + i] = raw + paeth(left, up, upLeft);
          break;
        default:
          return false;
      }
    }
  }
  return true;
}

/**
 * Decodes a PNG into RGBA pixels: every colour type, bit depths 1–16, palettes with
 * transparency. Returns undefined for anything it does not read (interlaced images, a broken
 * or truncated file, more than 40 megapixels) so callers can fall back; it never throws on bad
 * bytes, since the bytes come from a store that anyone with access may have written to.
 */
export function decodePng(bytes: Uint8Array): DecodedImage | undefined {
  if (bytes.length < 8 || SIGNATURE.some((value, i) => bytes[i] !== value)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let widthPx = 0;
  let heightPx = 0;
  let depth = 0;
  let colourType = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  let paletteAlpha: Uint8Array | undefined;
  const compressed: Uint8Array[] = [];

  for (let offset = 8; offset + 12 <= bytes.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (data.length !== length) return undefined;
    if (type === 'IHDR' && length >= 13) {
      widthPx = view.getUint32(offset + 8);
      heightPx = view.getUint32(offset + 12);
      depth = data[8] ?? 0;
      colourType = data[9] ?? -1;
      interlace = data[12] ?? 0;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') paletteAlpha = data;
    else if (type === 'IDAT') compressed.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }

  const channels = CHANNELS[colourType];
  if (channels === undefined || ALLOWED_DEPTHS[colourType]?.includes(depth) !== true || interlace !== 0) return undefined;
  if (widthPx < 1 || heightPx < 1 || widthPx * heightPx > MAX_PIXELS || compressed.length === 0) return undefined;
  if (colourType === 3 && palette === undefined) return undefined;

  const bitsPerPixel = channels * depth;
  const rowBytes = Math.ceil((widthPx * bitsPerPixel) / 8);
  const expectedBytes = (rowBytes + 1) * heightPx;
  let data: Uint8Array;
  try {
    data = inflateSync(Buffer.concat(compressed), { maxOutputLength: expectedBytes });
  } catch {
    return undefined;
  }
  if (data.length < expectedBytes) return undefined;
  if (!unfilter(data, heightPx, rowBytes, Math.max(1, bitsPerPixel >> 3))) return undefined;

  const rgba = new Uint8Array(widthPx * heightPx * 4);
  if (depth === 8 && (colourType === 2 || colourType === 6)) {
    // What the image models return: a direct copy, without the general path's per-pixel work.
    for (let y = 0; y < heightPx; y++) {
      let from = y * (rowBytes + 1) + 1;
      let out = y * widthPx * 4;
      for (let x = 0; x < widthPx; x++, out += 4, from += channels) {
        rgba[out] = data[from] ?? 0;
        rgba[out + 1] = data[from + 1] ?? 0;
        rgba[out + 2] = data[from + 2] ?? 0;
        rgba[out + 3] = colourType === 6 ? (data[from + 3] ?? 255) : 255;
      }
    }
    return { widthPx, heightPx, rgba };
  }
  const maxSample = (1 << Math.min(depth, 8)) - 1;
  for (let y = 0; y < heightPx; y++) {
    const row = y * (rowBytes + 1) + 1;
    for (let x = 0; x < widthPx; x++) {
      const samples: number[] = [];
      for (let c = 0; c < channels; c++) {
        const index = x * channels + c;
        if (depth === 16) samples.push(data[row + index * 2] ?? 0);
        else if (depth === 8) samples.push(data[row + index] ?? 0);
        else {
          // Sub-byte samples are packed from the high bits down.
          const bit = index * depth;
          const byte = data[row + (bit >> 3)] ?? 0;
          samples.push((byte >> (8 - depth - (bit & 7))) & maxSample);
        }
      }
      const out = (y * widthPx + x) * 4;
      if (colourType === 3) {
        const entry = samples[0] ?? 0;
        rgba[out] = palette?.[entry * 3] ?? 0;
        rgba[out + 1] = palette?.[entry * 3 + 1] ?? 0;
        rgba[out + 2] = palette?.[entry * 3 + 2] ?? 0;
        rgba[out + 3] = paletteAlpha?.[entry] ?? 255;
        continue;
      }
      // Depths below 8 (grey only) are scaled up to 0-255.
      const scale = depth < 8 ? 255 / maxSample : 1;
      const grey = Math.round((samples[0] ?? 0) * scale);
      const isGrey = colourType === 0 || colourType === 4;
      rgba[out] = grey;
      rgba[out + 1] = isGrey ? grey : (samples[1] ?? 0);
      rgba[out + 2] = isGrey ? grey : (samples[2] ?? 0);
      rgba[out + 3] = colourType === 4 ? (samples[1] ?? 255) : colourType === 6 ? (samples[3] ?? 255) : 255;
    }
  }
  return { widthPx, heightPx, rgba };
}
