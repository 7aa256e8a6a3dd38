import { createServer, request, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { UnansweredForward } from './attribute-calls.js';

/**
 * Which worker sent which call. The simulator records calls, not callers; each worker talks to
 * the simulator through its own pass-through proxy, which notes the simulator's request id
 * (`x-request-id` of every answer) against the worker's number. A duplicate is explained only
 * by a kill of the worker that made the first call, so the report needs to know who that was.
 */
export interface CallerProxies {
  /** Starts a proxy for worker `worker`; resolves with the base URL the worker should call. */
  open(worker: number): Promise<string>;
  /** Simulator request id -> the worker that sent the call (calls that were answered). */
  callers(): ReadonlyMap<string, number>;
  /** Calls whose answer never reached their worker (it died or gave up mid-call): see attributeCalls. */
  unanswered(): readonly UnansweredForward[];
  close(): Promise<void>;
}

export function createCallerProxies(upstreamUrl: string): CallerProxies {
  const upstream = new URL(upstreamUrl);
  const servers: Server[] = [];
  const callers = new Map<string, number>();
  const unanswered: UnansweredForward[] = [];
  return {
    async open(worker) {
      const server = createServer((incoming, outgoing) => {
        const sentAtMs = Date.now();
        const clientRequestId = incoming.headers['x-ms-client-request-id'];
        let isAnswered = false;
        const forward = request(
          { hostname: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            const id = answer.headers['x-request-id'];
            if (typeof id === 'string') callers.set(id, worker);
            isAnswered = true;
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        // A reset or hang upstream is passed on as the same to the worker; a worker that gives
        // up (timeout, kill) ends the upstream call too.
        forward.on('error', () => incoming.socket.destroy());
        // (The response's close, not the request's: that one fires once the request body is read.)
        outgoing.on('close', () => {
          if (!outgoing.writableFinished) forward.destroy();
          // No request id came back to name the call by: kept to be matched by key and time.
          if (!isAnswered) unanswered.push({ worker, clientRequestId: typeof clientRequestId === 'string' ? clientRequestId : null, sentAtMs, endedAtMs: Date.now() });
        });
        incoming.pipe(forward);
      });
      server.keepAliveTimeout = 1_000;
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    },
    callers: () => callers,
    unanswered: () => unanswered,
    async close() {
      await Promise.all(
        servers.map(async (server) => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => { resolve(); }));
        }),
      );
    },
  };
}
