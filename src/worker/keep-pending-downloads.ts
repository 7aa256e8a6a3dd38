import type { WorkerSettings } from '../config/config.js';
import { FetchError } from '../net/fetch-error.js';
import type { PendingDownload, PendingDownloads } from '../queue/pending-downloads.js';
import type { StoreGate } from '../storage/store-guard.js';
import { backoffMs } from './backoff.js';
import { detectImageType } from './image-type.js';

/** How long the service keeps an image behind a `url` answer: about 24 h (learn.microsoft.com/azure/foundry/openai/how-to/dall-e). */
export const IMAGE_URL_LIFETIME_MS = 24 * 3_600_000;

export interface DownloadDeps {
  readonly pendingDownloads: PendingDownloads;
  /** One try; throws FetchError (`isTransient` says whether another try can help). */
  readonly downloadImage: (url: string) => Promise<Uint8Array>;
  /**
   * The store guard, as for an image that came in the answer: a store that cannot be written
   * opens the breaker and the downloaded bytes go to the spool.
   */
  readonly storeGate: Pick<StoreGate, 'keepImage'>;
  readonly settings: Pick<WorkerSettings, 'backoffBaseMs' | 'backoffMaxMs'>;
  readonly now: () => number;
}

/** How one download ended: the image kept (stored, or spooled), given up on (with the reason), or to be tried again. */
export type DownloadOutcome =
  | { readonly kind: 'stored'; readonly variant: number }
  /** Downloaded and in this worker's spool until the store takes writes again; no call is made for it. */
  | { readonly kind: 'spooled'; readonly variant: number }
  | { readonly kind: 'failed'; readonly variant: number; readonly message: string }
  | { readonly kind: 'waiting'; readonly variant: number; readonly retryAtMs: number; readonly reason: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Downloads one generated image and keeps it with its record through the store gate: stored,
 * or spooled (and the breaker opened) while the store cannot be written, like an image that
 * came in the answer. The image is paid for, so a failure that may pass (a timeout, a reset,
 * a 5xx, a write the store refused) keeps the URL and the cause in the job's pending
 * downloads, to be tried again with backoff and without a new call, until the URL expires. A refusal by the fetch rules (scheme, address, redirect to
 * another host, size, not an image) or a 4xx is final: trying again cannot help.
 */
export async function downloadAndKeep(deps: DownloadDeps, jobId: string, variant: number, download: PendingDownload, formatHint: string | undefined): Promise<DownloadOutcome> {
  let failure: { cause: string; isTransient: boolean };
  try {
    const bytes = await deps.downloadImage(download.url);
    const type = detectImageType(bytes, formatHint);
    try {
      const where = await deps.storeGate.keepImage(download.record.key, { bytes, contentType: type.contentType, extension: type.extension }, download.record);
      // Spooled bytes are kept as surely as stored ones: the URL is no longer needed.
      if (download.tries > 0) await deps.pendingDownloads.drop(jobId, variant);
      return { kind: where, variant };
    } catch (error) {
      // The URL still holds the image: keep it rather than the bytes, and store it on a later try.
      failure = { cause: `downloaded but not stored: ${messageOf(error)}`, isTransient: true };
    }
  } catch (error) {
    failure = { cause: messageOf(error), isTransient: error instanceof FetchError ? error.isTransient : true };
  }
  const tries = download.tries + 1;
  const retryAtMs = deps.now() + backoffMs(tries, deps.settings.backoffBaseMs, deps.settings.backoffMaxMs);
  if (!failure.isTransient || retryAtMs >= download.expiresAtMs) {
    if (download.tries > 0) await deps.pendingDownloads.drop(jobId, variant);
    const why = failure.isTransient ? `its URL expired after ${tries} tries; last: ${failure.cause}` : failure.cause;
    return { kind: 'failed', variant, message: `generated (and paid for) but not kept: the image could not be downloaded: ${why}` };
  }
  await deps.pendingDownloads.keep(jobId, variant, { ...download, tries, cause: failure.cause });
  return { kind: 'waiting', variant, retryAtMs, reason: `the generated image could not be downloaded yet (${failure.cause}); try ${tries} of its URL, no new call` };
}

/** What the "already kept?" step learned from the job's pending downloads. */
export interface PendingDownloadsStep {
  /** Images kept or given up on now; none of them is called for again. */
  readonly settled: readonly Exclude<DownloadOutcome, { kind: 'waiting' }>[];
  /** Set when a download is to be tried again later: the job waits for it and makes no call meanwhile. */
  readonly retry?: { readonly untilMs: number; readonly reason: string };
}

/**
 * Part of "already kept?": an image of the job whose answer came back as a URL that could not
 * be downloaded is downloaded now, not called for again.
 */
export async function keepPendingDownloads(deps: DownloadDeps, jobId: string, variants: readonly number[], formatHint: string | undefined): Promise<PendingDownloadsStep> {
  const downloads = await deps.pendingDownloads.read(jobId);
  const settled: Exclude<DownloadOutcome, { kind: 'waiting' }>[] = [];
  let retry: { untilMs: number; reason: string } | undefined;
  for (const variant of variants) {
    const download = downloads.get(variant);
    if (download === undefined) continue;
    const outcome = await downloadAndKeep(deps, jobId, variant, download, formatHint);
    if (outcome.kind === 'waiting') retry = retry === undefined || outcome.retryAtMs < retry.untilMs ? { untilMs: outcome.retryAtMs, reason: outcome.reason } : retry;
    else settled.push(outcome);
  }
  return { settled, ...(retry !== undefined && { retry }) };
}
