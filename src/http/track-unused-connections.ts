import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface UnusedConnections {
  /** Destroys every connection that has not sent a byte yet; call once the server stops listening. */
  destroy(): void;
}

/**
 * Browsers (the dashboard) open a spare connection ahead of need. One that has sent nothing is
 * not idle to Node, so `server.close()` would wait for it until the headers timeout (60 s),
 * and `imgbatch serve` would hang that long on SIGTERM. Such sockets carry no request: closing
 * them loses nothing, while requests in flight still finish.
 */
export function trackUnusedConnections(server: Server): UnusedConnections {
  const unused = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    const forget = (): void => {
      unused.delete(socket);
    };
    socket.once('data', forget);
    socket.once('close', forget);
  });
  return {
    destroy() {
      for (const socket of unused) socket.destroy();
      unused.clear();
    },
  };
}
