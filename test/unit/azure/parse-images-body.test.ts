import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseImagesBody } from '../../../src/azure/parse-images-body.js';

const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8');

/** A body as the service writes it: compact JSON, one item per image. */
function answerOf(images: readonly Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return bytesOf(JSON.stringify({ created: 1, data: images.map((image) => ({ b64_json: image.toString('base64') })), ...extra }));
}

describe('parseImagesBody', () => {
  it('gives each b64_json image as its bytes, and the rest of the JSON as JSON.parse does', () => {
    const first = randomBytes(100_000);
    const second = randomBytes(70_001);
    const body = parseImagesBody(answerOf([first, second], { usage: { output_tokens: 272, note: 'ünïcode "quoted" \\ text' } }));
    expect(body).toEqual({ created: 1, data: [{ b64_json: first }, { b64_json: second }], usage: { output_tokens: 272, note: 'ünïcode "quoted" \\ text' } });
  });

  it('decodes images of every length, padded or not, across its pieces of 32,768 characters', () => {
    for (const length of [0, 1, 2, 3, 24_575, 24_576, 24_577, 49_152, 131_071]) {
      const image = randomBytes(length);
      const body = parseImagesBody(answerOf([image])) as { data: [{ b64_json: Buffer }] };
      expect(Buffer.isBuffer(body.data[0].b64_json)).toBe(true);
      expect(body.data[0].b64_json.equals(image)).toBe(true);
    }
  });

  it('keeps the item\'s other fields, filter verdicts beside images and whitespace around the colon', () => {
    const image = randomBytes(3_000);
    const text = `{ "created" : 1, "data" : [ { "revised_prompt" : "a cat", "b64_json" :\n "${image.toString('base64')}" }, { "error": { "code": "content_filter" } } ] }`;
    expect(parseImagesBody(bytesOf(text))).toEqual({ created: 1, data: [{ revised_prompt: 'a cat', b64_json: image }, { error: { code: 'content_filter' } }] });
  });

  it('leaves a value with an escape (a JSON writer may write "/" as "\\/") to JSON.parse: base64 text, as the service sent it', () => {
    const text = '{"data":[{"b64_json":"ab\\/c"}]}';
    expect(parseImagesBody(bytesOf(text))).toEqual({ data: [{ b64_json: 'ab/c' }] });
  });

  it('leaves a value with characters outside base64 to JSON.parse, so it decodes as Node decodes the whole string', () => {
    const text = '{"data":[{"b64_json":"aGk gdGhlcmU="}]}';
    expect(parseImagesBody(bytesOf(text))).toEqual({ data: [{ b64_json: 'aGk gdGhlcmU=' }] });
  });

  it('leaves a long value with a character outside base64 in an early piece to JSON.parse, where pieces would decode it wrong', () => {
    const base64 = randomBytes(60_000).toString('base64');
    const text = `{"data":[{"b64_json":"${base64.slice(0, 1_000)} ${base64.slice(1_000)}"}]}`;
    const body = parseImagesBody(bytesOf(text)) as { data: [{ b64_json: unknown }] };
    expect(typeof body.data[0].b64_json).toBe('string');
    expect(Buffer.from(body.data[0].b64_json as string, 'base64').equals(Buffer.from(base64, 'base64'))).toBe(true);
  });

  it('skips a raw line break inside a value as Node\'s decoder does, where JSON.parse would refuse the body', () => {
    expect(parseImagesBody(bytesOf('{"data":[{"b64_json":"QUJD\n"}]}'))).toEqual({ data: [{ b64_json: Buffer.from('ABC') }] });
  });

  it('does not take "b64_json" inside a string, or as a value, for a key', () => {
    const inString = '{"data":[{"url":"https://x.invalid/a"}],"note":"the \\"b64_json\\":\\"AAAA\\" field"}';
    expect(parseImagesBody(bytesOf(inString))).toEqual({ data: [{ url: 'https://x.invalid/a' }], note: 'the "b64_json":"AAAA" field' });
    const asValue = '{"data":["b64_json","x"]}';
    expect(parseImagesBody(bytesOf(asValue))).toEqual({ data: ['b64_json', 'x'] });
  });

  it('gives a body that is not JSON as its text, and JSON without images as JSON.parse does', () => {
    expect(parseImagesBody(bytesOf('<html>502 Bad Gateway</html>'))).toBe('<html>502 Bad Gateway</html>');
    expect(parseImagesBody(bytesOf('{"data":[{"b64_json":"AAAA"}'))).toBe('{"data":[{"b64_json":"AAAA"}');
    expect(parseImagesBody(bytesOf('{"error":{"code":"contentFilter"}}'))).toEqual({ error: { code: 'contentFilter' } });
    expect(parseImagesBody(Buffer.alloc(0))).toBe('');
  });
});
