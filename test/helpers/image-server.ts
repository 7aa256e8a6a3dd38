import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/**
 * For a describe block: returns `serveFiles(files)`, a plain HTTP server on 127.0.0.1 serving
 * the given bytes by path (404 otherwise), closed after each test. Its base URL is loopback
 * http: input fetches reach it only with `allowLoopback`.
 */
export function useImageServer(): (files: Readonly<Record<string, { readonly bytes: Uint8Array; readonly contentType: string }>>) => Promise<string> {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    }
  });
  return async (files) => {
    const server = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': file.contentType }).end(file.bytes);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}
