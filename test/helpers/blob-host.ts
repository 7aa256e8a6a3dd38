import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** How the stand-in blob host answers a GET for an image file. */
export type BlobHostMode =
  /** The image, fetched from the simulator's `/_sim/files/`. */
  | 'serve'
  /** 503, as a storage front end that is briefly down. */
  | 'unavailable'
  /** 302 to the same path on another host name (`localhost` for `127.0.0.1`). */
  | 'redirect_away'
  /** 200 with an HTML page, as a login or error page would be. */
  | 'html';

export interface BlobHost {
  /** `http://127.0.0.1:<port>/blobs`: the simulator's `filesBaseUrl`. */
  readonly baseUrl: string;
  /** Where `serve` fetches files from: the simulator's base URL; set once it runs. */
  simulatorUrl: string;
  mode: BlobHostMode;
  /** Paths asked for, in order. */
  readonly requests: string[];
}

/**
 * For a describe block: returns `start()`, a plain HTTP server on 127.0.0.1 standing in for the
 * blob storage behind the service's `url` answers, whose behaviour a test switches; closed after
 * each test.
 */
export function useBlobHost(): () => Promise<BlobHost> {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });
  return async () => {
    const host: { -readonly [K in keyof BlobHost]: BlobHost[K] } = { baseUrl: '', simulatorUrl: '', mode: 'serve', requests: [] };
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      host.requests.push(path);
      const name = path.replace(/^\/blobs\//, '');
      switch (host.mode) {
        case 'unavailable':
          res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
          return;
        case 'redirect_away':
          res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}${path}` }).end();
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Sign in</body></html>');
          return;
        case 'serve':
          fetch(`${host.simulatorUrl}/_sim/files/${name}`)
            .then(async (file) => {
              res.writeHead(file.status, { 'content-type': file.headers.get('content-type') ?? 'application/octet-stream' }).end(Buffer.from(await file.arrayBuffer()));
            })
            .catch(() => res.writeHead(502).end());
          return;
      }
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blobs`;
    return host;
  };
}
