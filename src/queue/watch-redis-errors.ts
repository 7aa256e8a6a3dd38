import { Cluster, type Redis } from 'ioredis';

/**
 * ioredis puts the AUTH command, password included, on the error it raises for wrong
 * credentials (`command: { name: 'auth', args: [user, password] }`), and the same error object
 * rejects every queued command: anything that prints or logs it would show the password.
 * Scrubbed here, on the 'error' event, which ioredis emits before any rejection is handled.
 */
function scrubCredentials(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const command = (error as { command?: { name?: unknown; args?: unknown } }).command;
  if (command === undefined || typeof command.name !== 'string') return;
  if (/^(auth|hello|migrate)$/i.test(command.name) && Array.isArray(command.args)) command.args = command.args.map(() => '[redacted]');
}

/** The errors ioredis fails queued commands with when a connection gives up: they do not say why. */
function isReasonless(error: Error): boolean {
  return error.name === 'MaxRetriesPerRequestError' || error.message === 'Connection is closed.';
}

/**
 * ioredis 5 fails the commands queued on a connection that cannot reach Redis in one place,
 * `flushQueue` (private), with an error that does not say why. The connection's last problem
 * becomes that error's `cause`, so the error itself tells describeRedisFailure why, whatever
 * other connections the process has. An ioredis without `flushQueue` only loses the cause.
 */
function recordCauseOnFlush(connection: Redis | Cluster, lastProblem: () => Error | undefined): void {
  const target = connection as unknown as { flushQueue?: (error: unknown, ...rest: unknown[]) => unknown };
  const flushQueue = target.flushQueue;
  if (typeof flushQueue !== 'function') return;
  target.flushQueue = function (this: unknown, error: unknown, ...rest: unknown[]): unknown {
    const problem = lastProblem();
    if (error instanceof Error && error.cause === undefined && problem !== undefined && problem !== error && isReasonless(error)) error.cause = problem;
    return flushQueue.call(this, error, ...rest);
  };
}

/**
 * Listens to a connection's errors: an unhandled 'error' event would crash the process, and the
 * caller sees failures through commands instead, with credentials scrubbed and, where ioredis
 * gives a reasonless error, the connection's own last problem as its `cause`.
 */
export function watchRedisErrors(connection: Redis | Cluster): void {
  // Kept per connection: one connection's problem (another server, another password) says
  // nothing about why another failed.
  let lastProblem: Error | undefined;
  const watch = (error: unknown): void => {
    scrubCredentials(error);
    if (error instanceof Error) lastProblem = error;
  };
  connection.on('error', watch);
  // Once ready again, an old problem is no reason for a later failure.
  connection.on('ready', () => {
    lastProblem = undefined;
  });
  recordCauseOnFlush(connection, () => lastProblem);
  if (connection instanceof Cluster) {
    // A cluster reports its nodes' errors as 'node error', and its commands also wait in its nodes' queues.
    connection.on('node error', watch);
    connection.on('+node', (node: Redis) => {
      recordCauseOnFlush(node, () => lastProblem);
    });
  }
}
