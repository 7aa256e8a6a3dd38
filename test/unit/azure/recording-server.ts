import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/openai/deployments/d/images/generations?api-version=...`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * How to answer: a response, silence (to trip the client timeout), a dropped connection, or a
 * 200 whose body stops part way (`then`: silence, or the connection dropped).
 */
export type Reply =
  | { readonly kind: 'respond'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'part'; readonly body: string; readonly then: 'hang' | 'drop' };

export interface RecordingServer {
  /** `http://127.0.0.1:<port>`, the resource root to give the client. */
  readonly endpoint: string;
  readonly requests: readonly RecordedRequest[];
  /** TCP connections the server has accepted so far. */
  readonly connections: number;
  /** Bodies of `part` replies written so far (the rest never comes). */
  readonly partsWritten: number;
  close(): Promise<void>;
}

/** A tiny HTTP server on 127.0.0.1 that records every request and answers as told. */
export async function startRecordingServer(reply: (request: RecordedRequest) => Reply): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let partsWritten = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const answer = reply(recorded);
      switch (answer.kind) {
        case 'respond':
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body ?? '');
          break;
        case 'hang':
          break;
        case 'drop':
          req.socket.destroy();
          break;
        case 'part':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(answer.body, () => {
            partsWritten++;
            if (answer.then === 'drop') req.socket.destroy();
          });
          break;
      }
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    get partsWritten() {
      return partsWritten;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}
