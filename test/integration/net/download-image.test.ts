import { describe, expect, it } from 'vitest';
import { FetchError } from '../../../src/net/fetch-error.js';
import { downloadImage, type ImageDownloadOptions } from '../../../src/worker/download-image.js';
import { useLocalHttpServers } from '../../helpers/local-http-server.js';

const serve = useLocalHttpServers();

const LOOPBACK: ImageDownloadOptions = { maxBytes: 1_000, timeoutMs: 2_000, allowLoopback: true };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const WEBP = Buffer.from([0x52, 0x49, 0x46, 0x46, 0x24, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20]);

async function refusal(promise: Promise<unknown>): Promise<FetchError> {
  const thrown = await promise.then(() => undefined, (error: unknown) => error);
  expect(thrown).toBeInstanceOf(FetchError);
  return thrown as FetchError;
}

describe('downloadImage: a generated image left at a URL', () => {
  it.each([
    ['PNG', PNG],
    ['JPEG', JPEG],
    ['WEBP', WEBP],
  ])('takes a %s image, whatever content type the server declares', async (_, bytes) => {
    const port = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes));
    expect(Buffer.from(await downloadImage(`http://127.0.0.1:${port}/img`, LOOPBACK))).toEqual(bytes);
  });

  it('refuses a body that is not an image, even declared as one; final, not worth another try', async () => {
    const port = await serve((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('{"error":"expired"}'));
    const error = await refusal(downloadImage(`http://127.0.0.1:${port}/img.png?sig=SECRET`, LOOPBACK));
    expect(error).toMatchObject({ reason: 'not_image', isTransient: false });
    expect(error.message).toBe(`http://127.0.0.1:${port}/img.png: the body is not a PNG, JPEG or WEBP image (declared image/png)`);
  });

  it('follows the fetch rules: plain http only to an allowed loopback, no private address, a size cap, a timeout', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/slow') return;
      res.writeHead(200).end(Buffer.concat([PNG, Buffer.alloc(2_000)]));
    });
    expect((await refusal(downloadImage(`http://127.0.0.1:${port}/big`, { maxBytes: 1_000, timeoutMs: 2_000 }))).reason).toBe('scheme');
    expect((await refusal(downloadImage('https://192.168.1.20/a.png', LOOPBACK))).reason).toBe('address');
    expect((await refusal(downloadImage(`http://127.0.0.1:${port}/big`, LOOPBACK))).reason).toBe('too_large');
    expect(await refusal(downloadImage(`http://127.0.0.1:${port}/slow`, { ...LOOPBACK, timeoutMs: 200 }))).toMatchObject({ reason: 'timeout', isTransient: true });
  });
});
