import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/imgbatch-error.js';
import { fanOut, type FanOutOptions } from '../../../src/job/fan-out.js';
import { imageJobId, imageJobSchema, type ImageJobData } from '../../../src/job/image-job.js';
import type { ImageRequest } from '../../../src/job/image-request.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';

const ENQUEUED_AT = Date.parse('2025-05-01T12:00:00Z');

function request(fields: Partial<ImageRequest> & Pick<ImageRequest, 'model'>): ImageRequest {
  return { prompt: 'A red ceramic mug on a white background', n: 1, ...fields };
}

function jobsFor(fields: Partial<ImageRequest> & Pick<ImageRequest, 'model'>, options: Partial<FanOutOptions> = {}): ImageJobData[] {
  return fanOut(request(fields), { batchId: 'spring-sale', models: BUILT_IN_CATALOGUE, defaultRequestId: 'row-2', enqueuedAt: ENQUEUED_AT, ...options });
}

function variantsOf(jobs: readonly ImageJobData[]): number[][] {
  return jobs.map((job) => job.variants);
}

describe('fanOut splits a request into calls', () => {
  it('dall-e-3 with n=4 becomes 4 jobs of one variant each', () => {
    expect(variantsOf(jobsFor({ model: 'dall-e-3', n: 4 }))).toEqual([[0], [1], [2], [3]]);
  });

  it.each([[1], [2], [10]])('dall-e-3 stays at one image per call when imagesPerCall is %i', (imagesPerCall) => {
    expect(variantsOf(jobsFor({ model: 'dall-e-3', n: 3 }, { imagesPerCall }))).toEqual([[0], [1], [2]]);
  });

  it('gpt-image with n=5 and imagesPerCall 2 becomes [0,1], [2,3], [4]', () => {
    expect(variantsOf(jobsFor({ model: 'gpt-image-1', n: 5 }, { imagesPerCall: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('gpt-image defaults to one image per call', () => {
    expect(variantsOf(jobsFor({ model: 'gpt-image-1-mini', n: 3 }))).toEqual([[0], [1], [2]]);
  });

  it('imagesPerCall above the model maximum is capped at it (10 for gpt-image)', () => {
    expect(variantsOf(jobsFor({ model: 'gpt-image-1.5', n: 10 }, { imagesPerCall: 50 }))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('imagesPerCall 0 still makes one image per call', () => {
    expect(variantsOf(jobsFor({ model: 'gpt-image-1', n: 2 }, { imagesPerCall: 0 }))).toEqual([[0], [1]]);
  });

  it('every image index 0..n-1 appears exactly once', () => {
    for (const imagesPerCall of [1, 2, 3, 4, 7, 10]) {
      const variants = variantsOf(jobsFor({ model: 'gpt-image-1', n: 10 }, { imagesPerCall })).flat();
      expect(variants).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });
});

describe('fanOut fills in each job', () => {
  it.each(BUILT_IN_CATALOGUE.models.map((model) => [model.id, model.defaultSize, model.defaultQuality]))(
    '%s defaults to size %s and quality %s',
    (model, size, quality) => {
      expect(jobsFor({ model })[0]).toMatchObject({ size, quality });
    },
  );

  it('keeps the size and quality that were asked for', () => {
    expect(jobsFor({ model: 'gpt-image-1', size: '1536x1024', quality: 'low' })[0]).toMatchObject({ size: '1536x1024', quality: 'low' });
  });

  it('dall-e-3 jobs ask for b64_json by default', () => {
    for (const job of jobsFor({ model: 'dall-e-3', n: 2 })) expect(job.responseFormat).toBe('b64_json');
  });

  it('dall-e-3 jobs ask for url when the request does', () => {
    for (const job of jobsFor({ model: 'dall-e-3', n: 2, responseFormat: 'url' })) expect(job.responseFormat).toBe('url');
  });

  it.each([
    ['gpt-image-1', undefined],
    ['gpt-image-1-mini', 'b64_json'],
    ['gpt-image-1.5', undefined],
  ] as const)('%s jobs never carry responseFormat (requested: %s)', (model, responseFormat) => {
    const jobs = jobsFor({ model, n: 3, ...(responseFormat !== undefined && { responseFormat }) }, { imagesPerCall: 2 });
    for (const job of jobs) expect(job).not.toHaveProperty('responseFormat');
  });

  it('carries the optional fields it was given and adds no keys for the ones it was not', () => {
    const [full] = jobsFor({
      model: 'gpt-image-1',
      outputFormat: 'jpeg',
      outputCompression: 70,
      background: 'opaque',
      user: 'shop-42',
      metadata: { sku: 'SKU-001' },
    });
    expect(full).toEqual({
      v: 1,
      batchId: 'spring-sale',
      requestId: 'row-2',
      variants: [0],
      prompt: 'A red ceramic mug on a white background',
      model: 'gpt-image-1',
      size: '1024x1024',
      quality: 'high',
      outputFormat: 'jpeg',
      outputCompression: 70,
      background: 'opaque',
      user: 'shop-42',
      metadata: { sku: 'SKU-001' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      enqueuedAt: ENQUEUED_AT,
    });
    const [bare] = jobsFor({ model: 'gpt-image-1' });
    expect(Object.keys(bare ?? {}).sort()).toEqual(['batchId', 'enqueuedAt', 'fingerprint', 'model', 'prompt', 'quality', 'requestId', 'size', 'v', 'variants']);
  });

  it('an edit job carries the checked input refs, the mask and input_fidelity, never the sources as named', () => {
    const image = { source: `store:spring-sale/inputs/${'a'.repeat(64)}.png`, sha256: 'a'.repeat(64), widthPx: 1024, heightPx: 1024 };
    const mask = { source: `store:spring-sale/inputs/${'b'.repeat(64)}.png`, sha256: 'b'.repeat(64), widthPx: 1024, heightPx: 1024 };
    const [job] = jobsFor({ model: 'gpt-image-1.5', images: ['photos/mug.png'], mask: 'masks/mug.png', inputFidelity: 'high' }, { edit: { images: [image], mask } });
    expect(job?.edit).toEqual({ images: [image], mask, inputFidelity: 'high' });
    expect(JSON.stringify(job)).not.toContain('photos/mug.png');
    expect(imageJobSchema.safeParse(job).success).toBe(true);
  });

  it('refuses an edit request whose inputs were not checked, rather than generating from its text', () => {
    expect(() => jobsFor({ model: 'gpt-image-1.5', images: ['photos/mug.png'] })).toThrow(ValidationError);
  });

  it('carries the dall-e-3 style', () => {
    expect(jobsFor({ model: 'dall-e-3', style: 'natural' })[0]?.style).toBe('natural');
  });

  it('uses the request’s own id, else the default id', () => {
    expect(jobsFor({ model: 'gpt-image-1', id: 'SKU_001.v2' })[0]?.requestId).toBe('SKU_001.v2');
    expect(jobsFor({ model: 'gpt-image-1' }, { defaultRequestId: 'row-17' })[0]?.requestId).toBe('row-17');
  });

  it.each([
    ['dall-e-3 n=4', { model: 'dall-e-3', n: 4, style: 'vivid', responseFormat: 'url' }, {}],
    ['gpt-image-1 n=5 in pairs', { model: 'gpt-image-1', n: 5, outputFormat: 'jpeg', outputCompression: 0 }, { imagesPerCall: 2 }],
    ['gpt-image-1-mini n=10 at once', { model: 'gpt-image-1-mini', n: 10, background: 'transparent', metadata: { a: 'b' } }, { imagesPerCall: 10 }],
    ['gpt-image-1.5 with digit-only ids', { model: 'gpt-image-1.5', id: '12', n: 2 }, { batchId: '2025' }],
  ] satisfies Array<[string, Partial<ImageRequest> & Pick<ImageRequest, 'model'>, Partial<FanOutOptions>]>)(
    'every job of %s validates against imageJobSchema',
    (_, fields, options) => {
      const jobs = jobsFor(fields, options);
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) expect(imageJobSchema.safeParse(job).success).toBe(true);
    },
  );
});

describe('fanOut job ids', () => {
  it('are the same for the same input', () => {
    const first = jobsFor({ model: 'gpt-image-1', n: 5 }, { imagesPerCall: 2 }).map(imageJobId);
    const second = jobsFor({ model: 'gpt-image-1', n: 5 }, { imagesPerCall: 2, enqueuedAt: ENQUEUED_AT + 60_000 }).map(imageJobId);
    expect(second).toEqual(first);
  });

  it('differ per variant, contain no ":" and are never all digits, even for digit-only batch and request ids', () => {
    const ids = jobsFor({ model: 'dall-e-3', id: '7', n: 4 }, { batchId: '2025' }).map(imageJobId);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(id).not.toMatch(/^\d+$/);
    }
  });
});

describe('fanOut refuses a request that does not fit its model', () => {
  it.each([
    ['an unknown model', { model: 'dall-e-2' }, 'model'],
    ['a size the model lacks', { model: 'dall-e-3', size: '1536x1024' }, 'size'],
    ['url from gpt-image', { model: 'gpt-image-1', responseFormat: 'url' }, 'response_format'],
  ] satisfies Array<[string, Partial<ImageRequest> & Pick<ImageRequest, 'model'>, string]>)(
    'throws a ValidationError for %s',
    (_, fields, field) => {
      let thrown: unknown;
      try {
        jobsFor(fields);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect(thrown instanceof ValidationError && thrown.issues.map((issue) => issue.field)).toEqual([field]);
    },
  );
});
