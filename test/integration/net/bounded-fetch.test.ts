import { describe, expect, it } from 'vitest';
import { boundedFetch, type BoundedFetchOptions } from '../../../src/net/bounded-fetch.js';
import { FetchError } from '../../../src/net/fetch-error.js';
import { useLocalHttpServers } from '../../helpers/local-http-server.js';

const serve = useLocalHttpServers();

const LOOPBACK: BoundedFetchOptions = { maxBytes: 1_000, timeoutMs: 2_000, allowLoopback: true };

async function refusal(promise: Promise<unknown>): Promise<FetchError> {
  const thrown = await promise.then(() => undefined, (error: unknown) => error);
  expect(thrown).toBeInstanceOf(FetchError);
  return thrown as FetchError;
}

describe('boundedFetch', () => {
  it('fetches a body from an allowed loopback test server, following a redirect within the same host', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/new' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png' }).end('pixels');
    });
    const fetched = await boundedFetch(`http://127.0.0.1:${port}/old`, LOOPBACK);
    expect(fetched.bytes.toString()).toBe('pixels');
    expect(fetched.contentType).toBe('image/png');
    expect(fetched.url).toBe(`http://127.0.0.1:${port}/new`);
  });

  it('refuses a redirect to another host, without fetching from it', async () => {
    let otherHostCalls = 0;
    const other = await serve((_req, res) => {
      otherHostCalls++;
      res.end('secret');
    });
    // "localhost" and "127.0.0.1" are different hosts to the rule, though both are loopback.
    const port = await serve((_req, res) => res.writeHead(302, { location: `http://localhost:${other}/metadata` }).end());
    const error = await refusal(boundedFetch(`http://127.0.0.1:${port}/image.png`, LOOPBACK));
    expect(error.reason).toBe('redirect');
    expect(error.message).toContain(`another host (localhost:${other})`);
    expect(otherHostCalls).toBe(0);
  });

  it('refuses a body over the cap, declared by Content-Length or only counted (chunked)', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000));
      else {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500));
        res.end();
      }
    });
    const declared = await refusal(boundedFetch(`http://127.0.0.1:${port}/declared`, LOOPBACK));
    expect(declared.reason).toBe('too_large');
    expect(declared.message).toContain('5000 bytes is over the limit of 1000 bytes');
    const counted = await refusal(boundedFetch(`http://127.0.0.1:${port}/chunked`, LOOPBACK));
    expect(counted.reason).toBe('too_large');
  });

  it('gives up after the timeout on a server that never answers, as a transient failure', async () => {
    const port = await serve(() => undefined);
    const startedAt = Date.now();
    const error = await refusal(boundedFetch(`http://127.0.0.1:${port}/slow.png`, { ...LOOPBACK, timeoutMs: 300 }));
    expect(error.reason).toBe('timeout');
    expect(error.isTransient).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('refuses loopback unless allowed, whether named by address or by a name that resolves to it', async () => {
    let calls = 0;
    const port = await serve((_req, res) => {
      calls++;
      res.end('x');
    });
    const byAddress = await refusal(boundedFetch(`http://127.0.0.1:${port}/a.png`, { maxBytes: 1_000, timeoutMs: 2_000 }));
    expect(byAddress.reason).toBe('scheme');
    const byName = await refusal(boundedFetch(`https://localhost:${port}/a.png`, { maxBytes: 1_000, timeoutMs: 2_000 }));
    expect(byName.reason).toBe('address');
    expect(byName.message).toContain('loopback');
    expect(calls).toBe(0);
  });

  it.each([['http://10.0.0.7/photo.png'], ['http://169.254.169.254/latest/meta-data'], ['https://192.168.1.20/photo.png'], ['https://[fd00::1]/photo.png']])(
    'refuses %s (a private or link-local address) before connecting',
    async (url) => {
      const error = await refusal(boundedFetch(url, LOOPBACK));
      expect(['address', 'scheme']).toContain(error.reason);
    },
  );

  it('refuses a private https address with its reason even when loopback is allowed', async () => {
    const error = await refusal(boundedFetch('https://10.0.0.7/photo.png', LOOPBACK));
    expect(error.reason).toBe('address');
    expect(error.message).toContain('private or link-local');
  });

  it('refuses schemes other than https', async () => {
    for (const url of ['ftp://example.com/a.png', 'file:///etc/passwd', 'http://example.com/a.png']) {
      expect((await refusal(boundedFetch(url, LOOPBACK))).reason).toBe('scheme');
    }
  });

  it('says HTTP errors with their status, transient for 5xx and not for 404', async () => {
    const port = await serve((req, res) => res.writeHead(req.url === '/gone' ? 404 : 503).end());
    const gone = await refusal(boundedFetch(`http://127.0.0.1:${port}/gone`, LOOPBACK));
    expect([gone.reason, gone.status, gone.isTransient]).toEqual(['http_status', 404, false]);
    const busy = await refusal(boundedFetch(`http://127.0.0.1:${port}/busy`, LOOPBACK));
    expect([busy.status, busy.isTransient]).toEqual([503, true]);
  });

  it('never shows a query (a SAS token) in its errors', async () => {
    const error = await refusal(boundedFetch('https://10.0.0.7/c/photo.png?sig=SECRET', LOOPBACK));
    expect(error.message).not.toContain('SECRET');
    expect(error.url).toBe('https://10.0.0.7/c/photo.png');
  });
});
