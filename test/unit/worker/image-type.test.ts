import { describe, expect, it } from 'vitest';
import { detectImageType, sniffImageType } from '../../../src/worker/image-type.js';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
/** `RIFF` <size> `WEBP` `VP8 ` */
const WEBP = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20]);
const UNKNOWN = Uint8Array.from([0x00, 0x01, 0x02, 0x03, 0x04]);

const AS_PNG = { contentType: 'image/png', extension: 'png' };
const AS_JPEG = { contentType: 'image/jpeg', extension: 'jpeg' };
const AS_WEBP = { contentType: 'image/webp', extension: 'webp' };

describe('detectImageType', () => {
  it.each([
    ['PNG', PNG, AS_PNG],
    ['JPEG', JPEG, AS_JPEG],
    ['WEBP', WEBP, AS_WEBP],
  ])('reads %s from its signature', (_, bytes, expected) => {
    expect(detectImageType(bytes, undefined)).toEqual(expected);
  });

  it.each([
    ['PNG bytes, jpeg hint', PNG, 'jpeg', AS_PNG],
    ['JPEG bytes, png hint', JPEG, 'png', AS_JPEG],
    ['WEBP bytes, jpeg hint', WEBP, 'jpeg', AS_WEBP],
  ])('the signature beats the hint: %s', (_, bytes, hint, expected) => {
    expect(detectImageType(bytes, hint)).toEqual(expected);
  });

  it.each([
    ['unknown bytes, jpeg hint', UNKNOWN, 'jpeg', AS_JPEG],
    ['unknown bytes, png hint', UNKNOWN, 'png', AS_PNG],
    ['unknown bytes, no hint', UNKNOWN, undefined, AS_PNG],
    ['no bytes, jpeg hint', new Uint8Array(0), 'jpeg', AS_JPEG],
    ['a truncated PNG signature, jpeg hint', PNG.subarray(0, 3), 'jpeg', AS_JPEG],
  ])('falls back to the hint (png when none): %s', (_, bytes, hint, expected) => {
    expect(detectImageType(bytes, hint)).toEqual(expected);
  });
});

describe('sniffImageType', () => {
  it.each([
    ['PNG', PNG, AS_PNG],
    ['JPEG', JPEG, AS_JPEG],
    ['WEBP', WEBP, AS_WEBP],
  ])('knows %s by its signature', (_, bytes, expected) => {
    expect(sniffImageType(bytes)).toEqual(expected);
  });

  it.each([
    ['unknown bytes', UNKNOWN],
    ['no bytes', new Uint8Array(0)],
    ['an HTML page', new TextEncoder().encode('<!doctype html><html>')],
    ['a RIFF file that is not WEBP (a WAV)', Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x41, 0x56, 0x45])],
    ['a truncated PNG signature', PNG.subarray(0, 3)],
  ])('knows nothing of %s: undefined, no guess', (_, bytes) => {
    expect(sniffImageType(bytes)).toBeUndefined();
  });
});
