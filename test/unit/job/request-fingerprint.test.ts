import { describe, expect, it } from 'vitest';
import { fanOut } from '../../../src/job/fan-out.js';
import type { ImageRequest } from '../../../src/job/image-request.js';
import { requestFingerprint, type FingerprintedFields } from '../../../src/job/request-fingerprint.js';
import { BUILT_IN_CATALOGUE } from '../../../src/models/model-catalogue.js';

const MUG: FingerprintedFields = { prompt: 'A red ceramic mug', model: 'gpt-image-1', size: '1024x1024', quality: 'high' };
const INPUT = { source: `store:b/inputs/${'a'.repeat(64)}.png`, sha256: 'a'.repeat(64), widthPx: 1024, heightPx: 1024 };

describe('requestFingerprint', () => {
  it('is the same for the same request, whatever the order its fields were set in', () => {
    const reordered: FingerprintedFields = { quality: 'high', size: '1024x1024', model: 'gpt-image-1', prompt: 'A red ceramic mug' };
    expect(requestFingerprint(reordered)).toBe(requestFingerprint(MUG));
    expect(requestFingerprint(MUG)).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each<[string, Partial<FingerprintedFields>]>([
    ['prompt', { prompt: 'A blue ceramic mug' }],
    ['model', { model: 'gpt-image-1-mini' }],
    ['size', { size: '1536x1024' }],
    ['quality', { quality: 'low' }],
    ['style', { style: 'vivid' }],
    ['output format', { outputFormat: 'jpeg' }],
    ['output compression', { outputCompression: 60 }],
    ['background', { background: 'transparent' }],
    ['an input image', { edit: { images: [INPUT] } }],
  ])('changes with the %s', (_field, change) => {
    expect(requestFingerprint({ ...MUG, ...change })).not.toBe(requestFingerprint(MUG));
  });

  it('changes with an input image’s bytes (its hash), not with where it was read from', () => {
    const moved = { ...INPUT, source: 'https://example.com/mug.png' };
    const changed = { ...INPUT, sha256: 'b'.repeat(64) };
    expect(requestFingerprint({ ...MUG, edit: { images: [moved] } })).toBe(requestFingerprint({ ...MUG, edit: { images: [INPUT] } }));
    expect(requestFingerprint({ ...MUG, edit: { images: [changed] } })).not.toBe(requestFingerprint({ ...MUG, edit: { images: [INPUT] } }));
  });

  it('keeps fields apart: a prompt that ends where the next field starts is another request', () => {
    expect(requestFingerprint({ ...MUG, prompt: 'mug', model: 'xgpt-image-1' })).not.toBe(requestFingerprint({ ...MUG, prompt: 'mugx', model: 'gpt-image-1' }));
  });

  it('is carried by every job of a request, the same in each, and not changed by its id or metadata', () => {
    const request: ImageRequest = { prompt: 'A red ceramic mug', n: 3, model: 'gpt-image-1' };
    const options = { batchId: 'shop', models: BUILT_IN_CATALOGUE, defaultRequestId: 'row-2', enqueuedAt: 0 };
    const jobs = fanOut(request, options);
    const renamed = fanOut({ ...request, id: 'mug', metadata: { sku: 'x' } }, options);
    expect(new Set([...jobs, ...renamed].map((job) => job.fingerprint))).toEqual(new Set([requestFingerprint(jobs[0] ?? MUG)]));
  });
});
