import { describe, expect, it } from 'vitest';
import { parseImagesBody } from '../../../src/azure/parse-images-body.js';
import { readImagesResponse } from '../../../src/azure/read-images-response.js';

describe('readImagesResponse', () => {
  it('a 200 whose whole body is an output-filter error means every image of the call was filtered', () => {
    const outcome = readImagesResponse({
      created: 1698435368,
      error: { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' },
    });
    expect(outcome).toEqual({
      kind: 'decision',
      decision: {
        kind: 'filtered',
        filter: {
          stage: 'output',
          categories: [],
          code: 'contentFilter',
          message: 'Generated image was filtered as a result of our safety system.',
        },
      },
    });
  });

  it('a 200 holding a non-filter error and no images is transient', () => {
    const outcome = readImagesResponse({ error: { code: 'server_error', message: 'oops' } });
    expect(outcome).toEqual({
      kind: 'decision',
      decision: { kind: 'transient', code: 'server_error', message: 'oops', mayHaveBilled: true, status: 200 },
    });
  });

  it.each([
    ['no data', { created: 1 }],
    ['empty data', { created: 1, data: [] }],
    ['data that is not a list', { created: 1, data: 'x' }],
    ['items without images', { created: 1, data: [{}, { revised_prompt: 'x' }] }],
    ['a body that is text', 'Service Unavailable'],
    ['null', null],
  ])('a 200 with %s is a malformed response: transient, and it may have been billed', (_name, body) => {
    expect(readImagesResponse(body)).toMatchObject({
      kind: 'decision',
      decision: { kind: 'transient', code: 'malformed_response', mayHaveBilled: true, status: 200 },
    });
  });

  it('keeps each image at its position, with its revised prompt, preferring b64_json (decoded)', () => {
    const outcome = readImagesResponse({
      created: 1,
      data: [
        { b64_json: 'aGk=', url: 'https://x.invalid/0.png', revised_prompt: 'cat, rewritten' },
        { url: 'https://x.invalid/1.png' },
      ],
    });
    expect(outcome).toEqual({
      kind: 'images',
      images: [
        { index: 0, bytes: Buffer.from('hi'), revisedPrompt: 'cat, rewritten' },
        { index: 1, url: 'https://x.invalid/1.png' },
      ],
      filtered: [],
      unusable: [],
    });
  });

  it('takes the images parseImagesBody decoded from the answer\'s bytes as they are', () => {
    const image = Buffer.from('a png, say');
    const outcome = readImagesResponse(parseImagesBody(Buffer.from(JSON.stringify({ created: 1, data: [{ b64_json: image.toString('base64') }] }))));
    expect(outcome).toEqual({ kind: 'images', images: [{ index: 0, bytes: image }], filtered: [], unusable: [] });
  });

  it('records a filtered item at its position with stage output and its flagged categories', () => {
    const outcome = readImagesResponse({
      created: 1,
      data: [
        {
          error: {
            code: 'content_filter',
            message: 'filtered',
            content_filter_results: { violence: { filtered: true, severity: 'high' }, hate: { filtered: false } },
          },
        },
        { b64_json: 'aGk=' },
      ],
      usage: { output_tokens: 4160 },
    });
    expect(outcome).toEqual({
      kind: 'images',
      images: [{ index: 1, bytes: Buffer.from('hi') }],
      filtered: [{ index: 0, filter: { stage: 'output', categories: ['violence'], code: 'content_filter', message: 'filtered' } }],
      unusable: [],
      usage: { output_tokens: 4160 },
    });
  });

  it('reports an item that is neither image nor filter verdict as unusable, and keeps the rest', () => {
    const outcome = readImagesResponse({
      created: 1,
      data: [{ b64_json: 'aGk=' }, { error: { code: 'server_error', message: 'lost' } }, { b64_json: '' }],
    });
    expect(outcome).toMatchObject({
      kind: 'images',
      images: [{ index: 0 }],
      unusable: [
        { index: 1, reason: 'item error server_error: lost' },
        { index: 2, reason: 'item has neither b64_json nor url' },
      ],
    });
  });
});
