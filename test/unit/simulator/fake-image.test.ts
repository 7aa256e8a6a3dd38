import { decode as decodeJpeg } from 'jpeg-js';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fakeImage, type FakeImageRequest } from '../../../src/simulator/fake-image.js';

const base: FakeImageRequest = { prompt: 'a tabby cat', variant: 0, widthPx: 64, heightPx: 64, format: 'png' };

describe('fakeImage', () => {
  it('is deterministic: the same prompt and variant give the same bytes', () => {
    expect(fakeImage(base).bytes.equals(fakeImage(base).bytes)).toBe(true);
  });

  it('differs by prompt', () => {
    expect(fakeImage(base).bytes.equals(fakeImage({ ...base, prompt: 'a red fox' }).bytes)).toBe(false);
  });

  it('differs by variant, so the n images of one call differ', () => {
    expect(fakeImage(base).bytes.equals(fakeImage({ ...base, variant: 1 }).bytes)).toBe(false);
  });

  it('is a PNG of the asked pixel size by default', () => {
    const image = fakeImage({ ...base, widthPx: 20, heightPx: 10 });
    expect(image.contentType).toBe('image/png');
    expect(image.bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(image.bytes.readUInt32BE(16)).toBe(20);
    expect(image.bytes.readUInt32BE(20)).toBe(10);
  });

  it('is a JPEG that decodes to the asked size when format is jpeg', () => {
    const image = fakeImage({ ...base, format: 'jpeg', jpegQuality: 50 });
    expect(image.contentType).toBe('image/jpeg');
    expect([...image.bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    const decoded = decodeJpeg(image.bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
  });

  it('makes background pixels transparent when asked (PNG)', () => {
    const opaque = fakeImage(base).bytes;
    const transparent = fakeImage({ ...base, isTransparent: true }).bytes;
    const alphas = (png: Buffer): Set<number> => {
      const idatLength = png.readUInt32BE(33);
      const raw = inflateSync(png.subarray(41, 41 + idatLength));
      const values = new Set<number>();
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) values.add(raw[y * (64 * 4 + 1) + 1 + x * 4 + 3] ?? -1);
      return values;
    };
    expect([...alphas(opaque)]).toEqual([255]);
    expect(alphas(transparent).has(0)).toBe(true);
  });
});
