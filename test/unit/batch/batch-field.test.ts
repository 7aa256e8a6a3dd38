import { describe, expect, it } from 'vitest';
import { fromBatchField, toBatchField } from '../../../src/batch/batch-field.js';

describe('batch fields: image keys and job ids without their batch id', () => {
  it.each([
    ['an image key', 'shop/mug-0'],
    ['a job id', 'shop/mug/v0'],
    ['a job id of several images', 'shop/mug/v0-3'],
    ['a job of a request named like its batch', 'shop/shop/v1'],
    ['a job added by another client under its own id', 'other-id-7'],
  ])('%s is written short and read back whole', (_what, id) => {
    const field = toBatchField('shop', id);
    expect(field).not.toBe(id);
    expect(fromBatchField('shop', field)).toBe(id);
  });

  it.each([
    ['an image key', 'shop/mug-0'],
    ['a job id', 'shop/mug/v0'],
    ['a job id of several images', 'shop/mug/v0-3'],
  ])('%s written whole, by an imgbatch before this layout, is read as it is', (_what, id) => {
    expect(fromBatchField('shop', id)).toBe(id);
  });
});
