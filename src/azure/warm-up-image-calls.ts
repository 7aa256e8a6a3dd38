import { createImageClient } from './create-image-client.js';

/** Where a worker sends images calls; enough to reach it, no credential. */
export interface ImageCallTarget {
  readonly endpoint: string;
  readonly deployment: string;
  readonly apiVersion: string;
}

/**
 * Runs what a process's first images call would otherwise run after its rate-limit slot was
 * taken: loading Node's fetch (undici) and opening a connection to each endpoint (one HEAD
 * request per origin, through the global fetch the `openai` client uses: openai
 * src/internal/shims.ts getDefaultFetch; the connection stays in its keep-alive pool), and the
 * SDK's request building (one images call cancelled before it is sent: nothing reaches the
 * service). Measured against the local simulator on a busy two-core machine, a cold process's
 * first call reached the service 50-110 ms after it was started, later ones 3-25 ms; after
 * this warm-up, the first took 7-15 ms. A late first call next to another process's call on
 * time is the second call of one of Azure's short windows: a 429.
 *
 * Never fails: an origin that cannot be reached is returned, and the first call meets the
 * same problem and handles it. Entra ID tokens are not fetched here (each client holds its own).
 */
export async function warmUpImageCalls(targets: readonly ImageCallTarget[], timeoutMs: number): Promise<ReadonlyArray<{ readonly origin: string; readonly error: string }>> {
  const origins = [...new Set(targets.map((target) => new URL(target.endpoint).origin))];
  const failures = await Promise.all(
    origins.map(async (origin) => {
      try {
        const response = await fetch(`${origin}/`, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
        // Read to the end, so the connection goes back to the pool rather than being closed.
        await response.arrayBuffer();
        return undefined;
      } catch (error) {
        return { origin, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const first = targets[0];
  if (first !== undefined) {
    // A key that is never sent: the call is cancelled before it leaves.
    const client = createImageClient({ ...first, timeoutMs, auth: { kind: 'api-key', apiKey: 'warm-up, never sent' } });
    await client.images
      .generate({ prompt: 'warm-up', n: 1 }, { headers: { 'x-ms-client-request-id': 'warm-up' }, signal: AbortSignal.abort() })
      .asResponse()
      .catch(() => undefined);
  }
  return failures.filter((failure) => failure !== undefined);
}
