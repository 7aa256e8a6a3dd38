import { decode as decodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { makeThumbnail } from '../../../src/gallery/make-thumbnail.js';
import { thumbnailDataUri } from '../../../src/gallery/thumbnail-data-uri.js';
import { fakeImage } from '../../../src/simulator/fake-image.js';
import { encodePng } from '../../../src/simulator/png-encoder.js';
import type { StoredImage } from '../../../src/storage/result-store.js';

function solidPng(widthPx: number, heightPx: number, rgba: readonly [number, number, number, number]): StoredImage {
  const pixels = new Uint8Array(widthPx * heightPx * 4);
  for (let i = 0; i < pixels.length; i += 4) pixels.set(rgba, i);
  return { bytes: encodePng({ widthPx, heightPx, rgba: pixels }), contentType: 'image/png', extension: 'png' };
}

function pixel(jpeg: Uint8Array, x: number, y: number): number[] {
  const decoded = decodeJpeg(jpeg, { useTArray: true, formatAsRGBA: true });
  const offset = (y * decoded.width + x) * 4;
  return [...decoded.data.subarray(offset, offset + 3)];
}

function near(actual: number[], expected: number[], tolerance = 12): boolean {
  return actual.every((value, i) => Math.abs(value - (expected[i] ?? 0)) <= tolerance);
}

describe('makeThumbnail', () => {
  it('shrinks a PNG to a JPEG whose longest side is maxSidePx, keeping the aspect ratio and the colour', () => {
    const thumbnail = makeThumbnail(solidPng(512, 256, [200, 30, 40, 255]), { maxSidePx: 128 });
    expect(thumbnail?.contentType).toBe('image/jpeg');
    expect(thumbnail?.extension).toBe('jpeg');
    const decoded = decodeJpeg(thumbnail?.bytes ?? new Uint8Array());
    expect([decoded.width, decoded.height]).toEqual([128, 64]);
    expect(near(pixel(thumbnail?.bytes ?? new Uint8Array(), 60, 30), [200, 30, 40])).toBe(true);
  });

  it('never enlarges a small image', () => {
    const thumbnail = makeThumbnail(solidPng(40, 30, [0, 0, 255, 255]));
    expect(decodeJpeg(thumbnail?.bytes ?? new Uint8Array())).toMatchObject({ width: 40, height: 30 });
  });

  it('shows transparent pixels as a light and dark checkerboard', () => {
    const thumbnail = makeThumbnail(solidPng(64, 64, [0, 0, 0, 0]), { maxSidePx: 64, jpegQuality: 100 });
    const bytes = thumbnail?.bytes ?? new Uint8Array();
    expect(near(pixel(bytes, 3, 3), [255, 255, 255])).toBe(true);
    expect(near(pixel(bytes, 11, 3), [224, 224, 224])).toBe(true);
    expect(near(pixel(bytes, 11, 11), [255, 255, 255])).toBe(true);
  });

  it('shrinks a JPEG too', () => {
    const jpeg = fakeImage({ prompt: 'a lamp', variant: 0, widthPx: 300, heightPx: 600, format: 'jpeg' });
    const thumbnail = makeThumbnail({ bytes: jpeg.bytes, contentType: jpeg.contentType, extension: 'jpeg' });
    expect(decodeJpeg(thumbnail?.bytes ?? new Uint8Array())).toMatchObject({ width: 128, height: 256 });
  });

  it('gives undefined for formats it cannot decode and for broken bytes', () => {
    const webp = Buffer.concat([Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'), Buffer.alloc(40)]);
    expect(makeThumbnail({ bytes: webp, contentType: 'image/webp', extension: 'webp' })).toBeUndefined();
    expect(makeThumbnail({ bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0x00, 1, 2]), contentType: 'image/jpeg', extension: 'jpeg' })).toBeUndefined();
    expect(makeThumbnail({ bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png', extension: 'png' })).toBeUndefined();
  });

  it.each([[{ maxSidePx: 0 }], [{ maxSidePx: 1.5 }], [{ jpegQuality: 0 }], [{ jpegQuality: 101 }]])('refuses options %j', (options) => {
    expect(() => makeThumbnail(solidPng(4, 4, [1, 2, 3, 255]), options)).toThrow(RangeError);
  });
});

describe('thumbnailDataUri', () => {
  it('embeds a thumbnail of what it can decode, a small image it cannot decode as it is, and nothing else', () => {
    expect(thumbnailDataUri(solidPng(300, 300, [9, 9, 9, 255]))).toMatch(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
    const webp: StoredImage = { bytes: Buffer.from('RIFF....WEBPVP8 tiny', 'latin1'), contentType: 'image/webp', extension: 'webp' };
    expect(thumbnailDataUri(webp)).toBe(`data:image/webp;base64,${Buffer.from(webp.bytes).toString('base64')}`);
    expect(thumbnailDataUri(webp, { maxOriginalBytes: 4 })).toBeUndefined();
    expect(thumbnailDataUri({ bytes: Buffer.from('<svg onload=alert(1)>'), contentType: 'image/svg+xml', extension: 'svg' })).toBeUndefined();
  });
});
