import pRetry, { AbortError } from 'p-retry';

/**
 * Fetches an image the service left at a URL (dall-e-3's default answer). Done at once:
 * the URL expires after about 24 h. Retried here because the image is already paid for.
 */
export async function downloadImage(url: string, options: { timeoutMs?: number; retries?: number } = {}): Promise<Uint8Array> {
  return pRetry(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
      if (!response.ok) {
        const message = `downloading the generated image failed: HTTP ${response.status}`;
        // 4xx other than throttling will not get better (expired or wrong URL).
        if (response.status < 500 && response.status !== 408 && response.status !== 429) throw new AbortError(message);
        throw new Error(message);
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    { retries: options.retries ?? 4, minTimeout: 500, maxTimeout: 5_000 },
  );
}
