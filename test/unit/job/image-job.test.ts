import { describe, expect, it } from 'vitest';
import { BUILT_IN_CATALOGUE, createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { checkJobForModel, imageJobId, imageJobSchema, imageKey, imageKeysOf, parseImageJobId, type ImageJobData } from '../../../src/job/image-job.js';

const JOB: ImageJobData = {
  v: 1,
  batchId: 'spring-sale',
  requestId: 'row-2',
  variants: [0],
  prompt: 'A red mug',
  model: 'gpt-image-1',
  size: '1024x1024',
  quality: 'high',
  enqueuedAt: 1_746_100_800_000,
};

describe('imageJobId', () => {
  it.each([
    [{ batchId: 'spring-sale', requestId: 'row-2', variants: [0] }, 'spring-sale/row-2/v0'],
    [{ batchId: 'spring-sale', requestId: 'row-2', variants: [3] }, 'spring-sale/row-2/v3'],
    [{ batchId: 'spring-sale', requestId: 'row-2', variants: [2, 3] }, 'spring-sale/row-2/v2-3'],
    [{ batchId: 'b', requestId: 'SKU_001.v2', variants: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }, 'b/SKU_001.v2/v0-9'],
  ])('%j -> %s (the format is stable: existing batches rely on it to skip work already queued)', (job, id) => {
    expect(imageJobId(job)).toBe(id);
  });

  it('depends only on batch, request and variants', () => {
    const other: ImageJobData = { ...JOB, prompt: 'another prompt', model: 'dall-e-3', enqueuedAt: 0 };
    expect(imageJobId(other)).toBe(imageJobId(JOB));
  });

  it.each([
    ['batch', { ...JOB, batchId: 'other' }],
    ['request', { ...JOB, requestId: 'row-3' }],
    ['variant', { ...JOB, variants: [1] }],
    ['variant span', { ...JOB, variants: [0, 1] }],
  ])('differs when the %s differs', (_, other) => {
    expect(imageJobId(other)).not.toBe(imageJobId(JOB));
  });

  it.each([
    ['1', '2', [0]],
    ['2025', '12', [3]],
    ['0', '0', [0, 1]],
  ])('batch %j, request %j: no ":" and not all digits (BullMQ job id rules)', (batchId, requestId, variants) => {
    const id = imageJobId({ batchId, requestId, variants });
    expect(id).not.toContain(':');
    expect(id).not.toMatch(/^\d+$/);
  });
});

describe('imageKey', () => {
  it('is <batch>/<request>-<variant>', () => {
    expect(imageKey('spring-sale', 'row-2', 3)).toBe('spring-sale/row-2-3');
  });

  it('imageKeysOf lists one key per variant of a job', () => {
    expect(imageKeysOf({ batchId: 'b', requestId: 'mug', variants: [2, 3] })).toEqual(['b/mug-2', 'b/mug-3']);
  });

  it('never gives two images of one batch the same key', () => {
    const keys = ['a', 'a-1', 'a-1-0', 'a-10'].flatMap((requestId) => [0, 1, 10].map((variant) => imageKey('b', requestId, variant)));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('imageJobSchema', () => {
  it('accepts a minimal job', () => {
    expect(imageJobSchema.parse(JOB)).toEqual(JOB);
  });

  it.each([
    ['another version', { v: 2 }],
    ['no variants', { variants: [] }],
    ['a negative variant', { variants: [-1] }],
    ['a fractional variant', { variants: [0.5] }],
    ['a batch id with a slash', { batchId: 'a/b' }],
    ['a request id with ":"', { requestId: 'x:1' }],
    ['an empty prompt', { prompt: '' }],
    ['output_format webp', { outputFormat: 'webp' }],
    ['compression over 100', { outputCompression: 101 }],
    ['a secret field (job data is stored in clear)', { apiKey: 'sk-123' }],
  ])('refuses %s', (_, change) => {
    expect(imageJobSchema.safeParse({ ...JOB, ...change }).success).toBe(false);
  });
});

describe('imageJobSchema on edit jobs', () => {
  const ref = (hex: string, source = `store:spring-sale/inputs/${hex.repeat(64)}.png`) => ({ source, sha256: hex.repeat(64) });

  it.each([
    ['a store copy', { images: [ref('a')] }],
    ['an https URL with a mask and input_fidelity', { images: [ref('a', 'https://cdn.example.com/mug.jpg')], mask: ref('b'), inputFidelity: 'low' }],
    ['16 images', { images: Array.from({ length: 16 }, () => ref('c')) }],
  ])('accepts %s', (_, edit) => {
    expect(imageJobSchema.safeParse({ ...JOB, model: 'gpt-image-1.5', edit }).success).toBe(true);
  });

  it.each([
    ['a local path', { images: [ref('a', 'photos/mug.png')] }, 'edit.images.0.source'],
    ['a store key outside inputs', { images: [ref('a', 'store:spring-sale/row-2-0.png')] }, 'edit.images.0.source'],
    ['a hash that is not 64 hex digits', { images: [{ source: `store:b/inputs/${'a'.repeat(64)}.png`, sha256: 'abc' }] }, 'edit.images.0.sha256'],
    ['bytes in the job', { images: [{ ...ref('a'), bytes: 'iVBORw0KGgo' }] }, 'edit.images.0'],
  ])('refuses %s, naming %s', (_, edit, path) => {
    const result = imageJobSchema.safeParse({ ...JOB, model: 'gpt-image-1.5', edit });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it.each([
    ['17 images', 'gpt-image-1.5', { images: Array.from({ length: 17 }, () => ref('c')) }, 'edit.images'],
    ['input_fidelity the model lacks', 'gpt-image-1.5', { images: [ref('a')], inputFidelity: 'max' }, 'edit.inputFidelity'],
    ['an edit for a model that cannot edit', 'dall-e-3', { images: [ref('a')] }, 'edit.images'],
  ])('checkJobForModel refuses %s on %s, naming %s', (_, model, edit, field) => {
    const job = imageJobSchema.parse({ ...JOB, model, ...(model === 'dall-e-3' && { quality: 'standard' }), edit });
    expect(checkJobForModel(job, BUILT_IN_CATALOGUE).map((issue) => issue.field)).toContain(field);
  });
});

describe('parseImageJobId', () => {
  it.each([
    ['spring-sale/row-2/v0', { batchId: 'spring-sale', requestId: 'row-2', variants: [0] }],
    ['spring-sale/row-2/v2-3', { batchId: 'spring-sale', requestId: 'row-2', variants: [2, 3] }],
    ['b/SKU_001.v2/v0-9', { batchId: 'b', requestId: 'SKU_001.v2', variants: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }],
  ])('reads %s back into the images it stands for', (jobId, job) => {
    expect(parseImageJobId(jobId)).toEqual(job);
    expect(imageJobId(job)).toBe(jobId);
  });

  it.each(['123', 'b/row-2', 'b/row-2/x0', 'b/row-2/v3-1', 'a/b/c/v0'])('says undefined for an id of another shape: %s', (jobId) => {
    expect(parseImageJobId(jobId)).toBeUndefined();
  });
});

describe('checkJobForModel', () => {
  it('accepts a job its model can make', () => {
    expect(checkJobForModel({ ...JOB, model: 'gpt-image-2', size: '2048x1152' }, BUILT_IN_CATALOGUE)).toEqual([]);
  });

  it.each([
    ['an unknown model', { model: 'gpt-image-9' }, 'model', 'not a known image model'],
    ['a size off the grid', { model: 'gpt-image-2', size: '1000x1000' }, 'size', 'multiples of 16'],
    ['compression for a model without it, named as the job field (outputCompression)', { outputCompression: 50, model: 'dall-e-3', quality: 'standard' }, 'outputCompression', 'no compression'],
    ['more images than one call makes', { model: 'dall-e-3', quality: 'standard', variants: [0, 1] }, 'variants', "over dall-e-3's limit of 1"],
  ] as const)('refuses %s, naming the job field', (_, fields, field, reason) => {
    const issues = checkJobForModel({ ...JOB, ...fields, variants: 'variants' in fields ? [...fields.variants] : JOB.variants }, BUILT_IN_CATALOGUE);
    expect(issues).toContainEqual({ field, reason: expect.stringContaining(reason) as string });
  });

  it('judges by the catalogue it is given: a model only the config knows', () => {
    const like = BUILT_IN_CATALOGUE.find('gpt-image-2');
    if (like === undefined) throw new Error('no gpt-image-2');
    const models = createModelCatalogue([...BUILT_IN_CATALOGUE.models, { ...like, id: 'gpt-image-9' }]);
    expect(checkJobForModel({ ...JOB, model: 'gpt-image-9' }, models)).toEqual([]);
  });

  it('leaves reading a job to the shape alone: a job of a model no catalogue knows still parses', () => {
    expect(imageJobSchema.safeParse({ ...JOB, model: 'dall-e-2' }).success).toBe(true);
  });
});
