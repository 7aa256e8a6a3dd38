import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** A small opaque photo-like image (no alpha). */
export async function photoPng(widthPx = 64, heightPx = 64, colour = { r: 200, g: 40, b: 40 }): Promise<Buffer> {
  return sharp({ create: { width: widthPx, height: heightPx, channels: 3, background: colour } }).png().toBuffer();
}

export async function photoJpeg(widthPx = 64, heightPx = 64): Promise<Buffer> {
  return sharp({ create: { width: widthPx, height: heightPx, channels: 3, background: { r: 20, g: 90, b: 200 } } }).jpeg().toBuffer();
}

export async function gifBytes(widthPx = 64, heightPx = 64): Promise<Buffer> {
  return sharp({ create: { width: widthPx, height: heightPx, channels: 3, background: { r: 1, g: 2, b: 3 } } }).gif().toBuffer();
}

/** A mask: opaque, with a fully transparent square in the middle (the area to edit). */
export async function maskPng(widthPx = 64, heightPx = 64): Promise<Buffer> {
  const rgba = Buffer.alloc(widthPx * heightPx * 4, 255);
  for (let y = Math.floor(heightPx / 4); y < Math.floor((3 * heightPx) / 4); y++) {
    for (let x = Math.floor(widthPx / 4); x < Math.floor((3 * widthPx) / 4); x++) rgba[(y * widthPx + x) * 4 + 3] = 0;
  }
  return sharp(rgba, { raw: { width: widthPx, height: heightPx, channels: 4 } }).png().toBuffer();
}

/** Writes files under `dir` (creating folders); returns their paths by name. */
export async function writeFiles(dir: string, files: Readonly<Record<string, Uint8Array>>): Promise<Record<string, string>> {
  const paths: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    paths[name] = path;
  }
  return paths;
}

/** A PNG file padded (sparsely) to `sizeBytes`: its header still reads as a PNG. */
export async function writeOversizePng(path: string, sizeBytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await photoPng());
  await truncate(path, sizeBytes);
}
