import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fakeImage, type FakeImageRequest } from '../../../src/simulator/fake-image.js';

const base: FakeImageRequest = { prompt: 'a tabby cat', variant: 0, widthPx: 64, heightPx: 64, format: 'png' };

async function alphaValues(png: Buffer): Promise<Set<number>> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const values = new Set<number>();
  for (let offset = info.channels - 1; offset < data.length; offset += info.channels) values.add(data[offset] ?? -1);
  return values;
}

describe('fakeImage', () => {
  it('is deterministic: the same prompt and variant give the same bytes', async () => {
    expect((await fakeImage(base)).bytes.equals((await fakeImage(base)).bytes)).toBe(true);
  });

  it('differs by prompt', async () => {
    expect((await fakeImage(base)).bytes.equals((await fakeImage({ ...base, prompt: 'a red fox' })).bytes)).toBe(false);
  });

  it('differs by variant, so the n images of one call differ', async () => {
    expect((await fakeImage(base)).bytes.equals((await fakeImage({ ...base, variant: 1 })).bytes)).toBe(false);
  });

  it('is a PNG of the asked pixel size by default', async () => {
    const image = await fakeImage({ ...base, widthPx: 20, heightPx: 10 });
    expect(image.contentType).toBe('image/png');
    expect(await sharp(image.bytes).metadata()).toMatchObject({ format: 'png', width: 20, height: 10 });
  });

  it('is a JPEG of the asked size when format is jpeg', async () => {
    const image = await fakeImage({ ...base, format: 'jpeg', jpegQuality: 50 });
    expect(image.contentType).toBe('image/jpeg');
    expect([...image.bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(await sharp(image.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 64 });
  });

  it('makes background pixels transparent when asked (PNG)', async () => {
    expect([...(await alphaValues((await fakeImage(base)).bytes))]).toEqual([255]);
    expect((await alphaValues((await fakeImage({ ...base, isTransparent: true })).bytes)).has(0)).toBe(true);
  });
});
