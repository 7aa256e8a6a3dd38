import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeThumbnail } from '../../../src/gallery/make-thumbnail.js';
import { thumbnailDataUri } from '../../../src/gallery/thumbnail-data-uri.js';
import { fakeImage } from '../../../src/simulator/fake-image.js';
import type { StoredImage } from '../../../src/storage/result-store.js';

async function solidPng(widthPx: number, heightPx: number, rgba: readonly [number, number, number, number]): Promise<StoredImage> {
  const bytes = await sharp({ create: { width: widthPx, height: heightPx, channels: 4, background: { r: rgba[0], g: rgba[1], b: rgba[2], alpha: rgba[3] / 255 } } })
    .png()
    .toBuffer();
  return { bytes, contentType: 'image/png', extension: 'png' };
}

async function pixel(jpeg: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + 3)];
}

async function sizeOf(image: StoredImage | undefined): Promise<{ width?: number; height?: number; format?: string }> {
  if (image === undefined) throw new Error('no thumbnail was made');
  const { width, height, format } = await sharp(image.bytes).metadata();
  return { width, height, format };
}

function near(actual: number[], expected: number[], tolerance = 12): boolean {
  return actual.every((value, i) => Math.abs(value - (expected[i] ?? 0)) <= tolerance);
}

describe('makeThumbnail', () => {
  it('shrinks a PNG to a JPEG whose longest side is maxSidePx, keeping the aspect ratio and the colour', async () => {
    const thumbnail = await makeThumbnail(await solidPng(512, 256, [200, 30, 40, 255]), { maxSidePx: 128 });
    expect(thumbnail?.contentType).toBe('image/jpeg');
    expect(thumbnail?.extension).toBe('jpeg');
    expect(await sizeOf(thumbnail)).toEqual({ width: 128, height: 64, format: 'jpeg' });
    expect(near(await pixel(thumbnail?.bytes ?? new Uint8Array(), 60, 30), [200, 30, 40])).toBe(true);
  });

  it('never enlarges a small image', async () => {
    expect(await sizeOf(await makeThumbnail(await solidPng(40, 30, [0, 0, 255, 255])))).toMatchObject({ width: 40, height: 30 });
  });

  it('shows transparent pixels as a light and dark checkerboard', async () => {
    const thumbnail = await makeThumbnail(await solidPng(64, 64, [0, 0, 0, 0]), { maxSidePx: 64, jpegQuality: 100 });
    const bytes = thumbnail?.bytes ?? new Uint8Array();
    expect(near(await pixel(bytes, 3, 3), [255, 255, 255])).toBe(true);
    expect(near(await pixel(bytes, 11, 3), [224, 224, 224])).toBe(true);
    expect(near(await pixel(bytes, 11, 11), [255, 255, 255])).toBe(true);
  });

  it('shrinks a JPEG too', async () => {
    const jpeg = await fakeImage({ prompt: 'a lamp', variant: 0, widthPx: 300, heightPx: 600, format: 'jpeg' });
    const thumbnail = await makeThumbnail({ bytes: jpeg.bytes, contentType: jpeg.contentType, extension: 'jpeg' });
    expect(await sizeOf(thumbnail)).toMatchObject({ width: 128, height: 256 });
  });

  it('gives undefined for broken bytes and for formats that are not pictures a page shows', async () => {
    const brokenWebp = Buffer.concat([Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'), Buffer.alloc(40)]);
    expect(await makeThumbnail({ bytes: brokenWebp, contentType: 'image/webp', extension: 'webp' })).toBeUndefined();
    expect(await makeThumbnail({ bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0x00, 1, 2]), contentType: 'image/jpeg', extension: 'jpeg' })).toBeUndefined();
    expect(await makeThumbnail({ bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png', extension: 'png' })).toBeUndefined();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await makeThumbnail({ bytes: svg, contentType: 'image/svg+xml', extension: 'svg' })).toBeUndefined();
  });

  it('makes a thumbnail of a WebP', async () => {
    const webp = await sharp({ create: { width: 300, height: 150, channels: 3, background: 'green' } }).webp().toBuffer();
    expect(await sizeOf(await makeThumbnail({ bytes: webp, contentType: 'image/webp', extension: 'webp' }))).toMatchObject({ width: 256, height: 128 });
  });

  it.each([[{ maxSidePx: 0 }], [{ maxSidePx: 1.5 }], [{ jpegQuality: 0 }], [{ jpegQuality: 101 }]])('refuses options %j', async (options) => {
    await expect(makeThumbnail(await solidPng(4, 4, [1, 2, 3, 255]), options)).rejects.toThrow(RangeError);
  });
});

describe('thumbnailDataUri', () => {
  it('embeds a thumbnail of what it can decode, a small image it cannot decode as it is, and nothing else', async () => {
    expect(await thumbnailDataUri(await solidPng(300, 300, [9, 9, 9, 255]))).toMatch(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
    const webp: StoredImage = { bytes: Buffer.from('RIFF....WEBPVP8 tiny', 'latin1'), contentType: 'image/webp', extension: 'webp' };
    expect(await thumbnailDataUri(webp)).toBe(`data:image/webp;base64,${Buffer.from(webp.bytes).toString('base64')}`);
    expect(await thumbnailDataUri(webp, { maxOriginalBytes: 4 })).toBeUndefined();
    expect(await thumbnailDataUri({ bytes: Buffer.from('<svg onload=alert(1)>'), contentType: 'image/svg+xml', extension: 'svg' })).toBeUndefined();
  });
});
