import { describe, expect, it } from 'vitest';
import { imageRequestSchema, MAX_IMAGES_PER_REQUEST, safeIdSchema } from '../../../src/job/image-request.js';

describe('safeIdSchema', () => {
  it.each([
    ['../x', 'a parent path'],
    ['a/b', 'a slash'],
    ['a\\b', 'a backslash'],
    ['con', 'a Windows reserved name'],
    ['CON', 'a Windows reserved name in capitals'],
    ['nul.txt', 'a Windows reserved name with an extension'],
    ['COM1', 'a numbered Windows device'],
    ['lpt9.csv', 'a numbered Windows device with an extension'],
    ['a..b', '".." inside'],
    ['x.', 'a trailing dot'],
    ['', 'nothing'],
    [':x', 'a colon (BullMQ job ids)'],
    ['x:1', 'a colon inside'],
    ['.hidden', 'a leading dot'],
    ['-x', 'a leading dash'],
    ['a b', 'a space'],
    ['café', 'a non-ASCII letter'],
    ['x'.repeat(129), '129 characters'],
  ])('refuses %j (%s)', (id) => {
    expect(safeIdSchema.safeParse(id).success).toBe(false);
  });

  it.each([['row-12'], ['SKU_001.v2'], ['x'.repeat(128)], ['12'], ['console'], ['a.b.c'], ['A-z_0.9']])('accepts %j', (id) => {
    expect(safeIdSchema.parse(id)).toBe(id);
  });

  it.each([
    ['', 'must not be empty'],
    ['a..b', 'must not contain ".."'],
    ['x.', 'must not end with "."'],
    ['nul', 'is a reserved file name'],
    ['a/b', 'may hold only letters, digits'],
    ['x'.repeat(129), 'at most 128 characters'],
  ])('says why %j is refused', (id, reason) => {
    const result = safeIdSchema.safeParse(id);
    expect(result.error?.issues.map((issue) => issue.message).join('; ')).toContain(reason);
  });
});

describe('imageRequestSchema', () => {
  it('fills n=1 and trims the prompt', () => {
    expect(imageRequestSchema.parse({ prompt: '  A red mug \n', model: 'gpt-image-1' })).toEqual({ prompt: 'A red mug', model: 'gpt-image-1', n: 1 });
  });

  it(`accepts n from 1 to ${MAX_IMAGES_PER_REQUEST}`, () => {
    expect(imageRequestSchema.parse({ prompt: 'p', model: 'm', n: 1 }).n).toBe(1);
    expect(imageRequestSchema.parse({ prompt: 'p', model: 'm', n: MAX_IMAGES_PER_REQUEST }).n).toBe(MAX_IMAGES_PER_REQUEST);
  });

  it.each([
    [{ n: 0 }, 'n', '0 is below the minimum of 1'],
    [{ n: -1 }, 'n', '-1 is below the minimum of 1'],
    [{ n: 11 }, 'n', '11 is over the maximum of 10'],
    [{ n: 2.5 }, 'n', '2.5 is not a whole number'],
    [{ n: 'two' }, 'n', '"two" is not a number'],
    [{ n: '3' }, 'n', '"3" is not a number'],
    [{ prompt: '' }, 'prompt', 'must not be empty'],
    [{ prompt: '   ' }, 'prompt', 'must not be empty'],
    [{ model: '' }, 'model', 'must not be empty'],
    [{ outputFormat: 'webp' }, 'outputFormat', '"webp" is not allowed (allowed: png, jpeg)'],
    [{ outputCompression: 101 }, 'outputCompression', '101 is outside 0–100'],
    [{ outputCompression: -1 }, 'outputCompression', '-1 is outside 0–100'],
    [{ outputCompression: 'high' }, 'outputCompression', '"high" is not a number'],
    [{ id: 'a/b' }, 'id', 'may hold only letters, digits, ".", "_" and "-", and must start with a letter or digit'],
  ])('%j: %s: %s', (change, field, message) => {
    const result = imageRequestSchema.safeParse({ prompt: 'A red mug', model: 'gpt-image-1', ...change });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([[field, message]]);
  });

  it('refuses unknown fields', () => {
    expect(imageRequestSchema.safeParse({ prompt: 'p', model: 'gpt-image-1', colour: 'red' }).success).toBe(false);
  });

  it('takes input images, a mask and input_fidelity for an edit, trimming each source', () => {
    expect(imageRequestSchema.parse({ prompt: 'p', model: 'gpt-image-1', images: [' a.png ', 'https://x.example/b.jpg'], mask: 'm.png', inputFidelity: 'high' })).toEqual({
      prompt: 'p',
      model: 'gpt-image-1',
      n: 1,
      images: ['a.png', 'https://x.example/b.jpg'],
      mask: 'm.png',
      inputFidelity: 'high',
    });
  });

  it.each([
    [{ images: [] }, 'images', 'must name at least one input image'],
    [{ images: 'a.png' }, 'images', '"a.png" is not a list of input images'],
    [{ images: ['a.png', ''] }, 'images.1', 'must not be empty'],
    [{ images: ['a\nb.png'] }, 'images.0', 'contains a control character (U+000A at character 2)'],
    [{ mask: 'm.png' }, 'mask', 'needs an input image to apply to (an image column or field)'],
    [{ inputFidelity: 'high' }, 'inputFidelity', 'applies only to edits (a request with input images)'],
  ])('%j: %s: %s', (change, field, message) => {
    const result = imageRequestSchema.safeParse({ prompt: 'A red mug', model: 'gpt-image-1', ...change });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([[field, message]]);
  });
});
