import type { StoredImage } from '../storage/result-store.js';

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
/** Larger images are not decoded: a thumbnail is not worth a gigabyte of pixels (or a decompression bomb). */
const MAX_INPUT_PIXELS = 40_000_000;
const DECODABLE_TYPES = new Set(['png', 'jpeg', 'webp', 'gif']);

/** A light and dark checkerboard of the given size, as raw RGB pixels. */
function checkerboard(widthPx: number, heightPx: number): Buffer {
  const pixels = Buffer.alloc(widthPx * heightPx * 3);
  for (let y = 0; y < heightPx; y++) {
    for (let x = 0; x < widthPx; x++) {
      const shade = (Math.floor(x / CHECKER_PX) + Math.floor(y / CHECKER_PX)) % 2 === 0 ? CHECKER_LIGHT : CHECKER_DARK;
      pixels.fill(shade, (y * widthPx + x) * 3, (y * widthPx + x) * 3 + 3);
    }
  }
  return pixels;
}

/**
 * A small JPEG of a stored PNG, JPEG, WebP or GIF, for contact sheets: a 1024×1024 PNG from the
 * service (1–3 MB) becomes about 10–20 KB. Transparent parts are laid over a checkerboard (JPEG
 * has no alpha channel, and a checkerboard still shows which parts of a `background:
 * transparent` image are empty). Undefined for bytes sharp cannot decode; the caller decides
 * what to show instead.
 */
export async function makeThumbnail(image: StoredImage, options: ThumbnailOptions = {}): Promise<StoredImage | undefined> {
  const maxSidePx = options.maxSidePx ?? 256;
  const quality = options.jpegQuality ?? 80;
  if (!Number.isInteger(maxSidePx) || maxSidePx < 1) throw new RangeError(`maxSidePx: ${maxSidePx} is not a whole number ≥ 1`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`jpegQuality: ${quality} is not a whole number from 1 to 100`);
  // Imported with the first image, not with the module: libvips loads in about a tenth of a
  // second, which every command that never reads an image would pay at start.
  const { default: sharp } = await import('sharp');
  try {
    const source = sharp(image.bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
    const metadata = await source.metadata();
    if (!DECODABLE_TYPES.has(metadata.format)) return undefined;
    const { data, info } = await source
      .resize({ width: maxSidePx, height: maxSidePx, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    const bytes = await sharp(checkerboard(info.width, info.height), { raw: { width: info.width, height: info.height, channels: 3 } })
      .composite([{ input: data }])
      .jpeg({ quality })
      .toBuffer();
    return { bytes, contentType: 'image/jpeg', extension: 'jpeg' };
  } catch {
    return undefined;
  }
}
