import { decode as decodeJpeg, encode as encodeJpeg } from 'jpeg-js';
import type { StoredImage } from '../storage/result-store.js';
import { decodePng, type DecodedImage } from './decode-png.js';

export interface ThumbnailOptions {
  /** Longest side of the thumbnail, px; smaller images keep their size. Default 256. */
  readonly maxSidePx?: number;
  /** JPEG quality of the thumbnail, 1–100. Default 80. */
  readonly jpegQuality?: number;
}

/** Checkerboard cell, px: the usual way viewers show transparency. */
const CHECKER_PX = 8;
const CHECKER_LIGHT = 255;
const CHECKER_DARK = 224;

function decode(image: StoredImage): DecodedImage | undefined {
  const { bytes } = image;
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return decodePng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    try {
      const decoded = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 40, maxMemoryUsageInMB: 256 });
      return { widthPx: decoded.width, heightPx: decoded.height, rgba: decoded.data };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Averages each box of source pixels into one thumbnail pixel (premultiplied, so transparent
 * pixels add no colour), then lays the result over a checkerboard: JPEG has no alpha channel,
 * and a checkerboard still shows which parts of a `background: transparent` image are empty.
 */
function shrink(source: DecodedImage, widthPx: number, heightPx: number): Uint8Array {
  const out = new Uint8Array(widthPx * heightPx * 4);
  const scaleX = source.widthPx / widthPx;
  const scaleY = source.heightPx / heightPx;
  for (let y = 0; y < heightPx; y++) {
    const y0 = Math.floor(y * scaleY);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * scaleY));
    for (let x = 0; x < widthPx; x++) {
      const x0 = Math.floor(x * scaleX);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * scaleX));
      let red = 0;
      let green = 0;
      let blue = 0;
      let alpha = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0, from = (sy * source.widthPx + x0) * 4; sx < x1; sx++, from += 4) {
          const a = source.rgba[from + 3] ?? 255;
          red += (source.rgba[from] ?? 0) * a;
          green += (source.rgba[from + 1] ?? 0) * a;
          blue += (source.rgba[from + 2] ?? 0) * a;
          alpha += a;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const coverage = alpha / (count * 255);
      const checker = (Math.floor(x / CHECKER_PX) + Math.floor(y / CHECKER_PX)) % 2 === 0 ? CHECKER_LIGHT : CHECKER_DARK;
      const to = (y * widthPx + x) * 4;
      out[to] = Math.round(red / (count * 255) + (1 - coverage) * checker);
      out[to + 1] = Math.round(green / (count * 255) + (1 - coverage) * checker);
      out[to + 2] = Math.round(blue / (count * 255) + (1 - coverage) * checker);
      out[to + 3] = 255;
    }
  }
  return out;
}

/**
 * A small JPEG of a stored PNG or JPEG, for contact sheets: a 1024×1024 PNG from the service
 * (1–3 MB) becomes about 10–20 KB. Undefined for formats it cannot decode (WebP) and for broken
 * images; the caller decides what to show instead.
 */
export function makeThumbnail(image: StoredImage, options: ThumbnailOptions = {}): StoredImage | undefined {
  const maxSidePx = options.maxSidePx ?? 256;
  const quality = options.jpegQuality ?? 80;
  if (!Number.isInteger(maxSidePx) || maxSidePx < 1) throw new RangeError(`maxSidePx: ${maxSidePx} is not a whole number ≥ 1`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`jpegQuality: ${quality} is not a whole number from 1 to 100`);
  const source = decode(image);
  if (source === undefined) return undefined;
  const scale = Math.min(1, maxSidePx / Math.max(source.widthPx, source.heightPx));
  const widthPx = Math.max(1, Math.round(source.widthPx * scale));
  const heightPx = Math.max(1, Math.round(source.heightPx * scale));
  const encoded = encodeJpeg({ width: widthPx, height: heightPx, data: shrink(source, widthPx, heightPx) }, quality);
  return { bytes: encoded.data, contentType: 'image/jpeg', extension: 'jpeg' };
}
