import { afterEach } from 'vitest';
import { createImgbatchClient, type ImgbatchClient } from '../../src/client/imgbatch-client.js';
import { createHttpServer, type HttpServer, type HttpServerOptions } from '../../src/http/create-http-server.js';
import type { Pipeline } from './pipeline.js';

export interface ServedPipeline {
  /** The library client the server serves, on the pipeline's Redis, prefix and store. */
  readonly client: ImgbatchClient;
  /** Closed after the test anyway; closing it again is harmless. */
  readonly server: HttpServer;
  /** Where the server listens, e.g. `http://127.0.0.1:40123`. */
  readonly base: string;
}

/**
 * For a describe block, called after usePipeline(): returns `serve(pipeline, options)`, which
 * makes a client on the pipeline and an HTTP server over it on a free port, both closed after
 * each test, the server first. Vitest runs after-each hooks last-registered first, so the
 * pipeline they use outlives them.
 */
export function useHttpServer(): (p: Pipeline, options: Omit<HttpServerOptions, 'client'>) => Promise<ServedPipeline> {
  let client: ImgbatchClient | undefined;
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    await client?.close();
    server = client = undefined;
  });
  return async (p, options) => {
    client = createImgbatchClient({ connection: p.redisUrl, prefix: p.prefix, store: p.store, inputReader: p.inputReader });
    server = createHttpServer({ ...options, client });
    return { client, server, base: await server.listen({ port: 0 }) };
  };
}
