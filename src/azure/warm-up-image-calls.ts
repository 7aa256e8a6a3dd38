import { fetch as undiciFetch, type Agent } from 'undici';
import { createImageClient, imageCallDispatcher } from './create-image-client.js';

/** Event-loop turns the warm-up waits, at most, for its connection to be free in the pool. */
const FREE_WAIT_TURNS = 10;

function hasFreeConnection(dispatcher: Agent, origin: string): boolean {
  const stats = dispatcher.stats[origin];
  return stats !== undefined && 'free' in stats && stats.free > 0;
}

/** Where a worker sends images calls; enough to reach it, no credential. */
export interface ImageCallTarget {
  readonly endpoint: string;
  readonly deployment: string;
  readonly apiVersion: string;
  /** The call timeout its client is made with: the warm-up opens connections in that client's pool. */
  readonly timeoutMs: number;
}

/**
 * Runs what a process's first images call would otherwise run after its rate-limit slot was
 * taken: opening a connection to each endpoint, in the pool the deployment's client sends its
 * calls through (one GET of the origin's root per deployment and call timeout, imageCallDispatcher; the
 * connection stays in the pool's keep-alive set), and the SDK's request building (one images
 * call cancelled before it is sent: nothing reaches the service). Measured against the local
 * simulator on a busy two-core machine, a cold process's first call reached the service 50-110
 * ms after it was started, later ones 3-25 ms; after this warm-up, the first took 7-15 ms. A
 * late first call next to another process's call on time is the second call of one of Azure's
 * short windows: a 429.
 *
 * Never fails: an origin that cannot be reached is returned, and the first call meets the
 * same problem and handles it. Entra ID tokens are not fetched here (each client holds its own).
 */
export async function warmUpImageCalls(targets: readonly ImageCallTarget[], connectTimeoutMs: number): Promise<ReadonlyArray<{ readonly origin: string; readonly error: string }>> {
  const first = targets[0];
  if (first !== undefined) {
    // A key that is never sent: the call is cancelled before it leaves.
    const client = createImageClient({ ...first, auth: { kind: 'api-key', apiKey: 'warm-up, never sent' } });
    await client.images
      .generate({ prompt: 'warm-up', n: 1 }, { headers: { 'x-ms-client-request-id': 'warm-up' }, signal: AbortSignal.abort() })
      .asResponse()
      .catch(() => undefined);
  }
  const pools = new Map(targets.map((target) => [`${new URL(target.endpoint).origin} ${target.deployment} ${target.timeoutMs}`, target]));
  const failures = await Promise.all(
    [...pools.values()].map(async (target) => {
      const { origin } = new URL(target.endpoint);
      try {
        // GET, not HEAD: undici closes a connection after a HEAD (for servers that send a body
        // anyway), which would leave nothing in the pool.
        const dispatcher = imageCallDispatcher(target.timeoutMs, target.deployment);
        const response = await undiciFetch(`${origin}/`, { signal: AbortSignal.timeout(connectTimeoutMs), dispatcher });
        // Read to the end, so the connection goes back to the pool rather than being closed.
        await response.arrayBuffer();
        // The pool frees the connection a turn of the event loop after the body ends; a call
        // sent before that would open a second one.
        for (let turn = 0; turn < FREE_WAIT_TURNS && !hasFreeConnection(dispatcher, origin); turn++) await new Promise((resolve) => setImmediate(resolve));
        return undefined;
      } catch (error) {
        return { origin, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  // One failure per origin is enough to say it cannot be reached.
  return [...new Map(failures.filter((failure) => failure !== undefined).map((failure) => [failure.origin, failure])).values()];
}
