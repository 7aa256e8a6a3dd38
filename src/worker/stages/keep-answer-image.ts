import type { ImageRecord } from '../../storage/image-record.js';
import { detectImageType } from '../image-type.js';
import { downloadAndKeep, IMAGE_URL_LIFETIME_MS, type DownloadDeps } from '../keep-pending-downloads.js';
import type { JobContext } from './job-context.js';

export type KeepImageDeps = DownloadDeps;

/** Where one paid image of an answer is now. */
export type ImageKept =
  | { readonly kind: 'stored' }
  /** In this worker's spool until the store takes writes again; no call is made for it. */
  | { readonly kind: 'spooled' }
  /** Left at a URL that could not be downloaded yet; kept in the job's pending downloads. */
  | { readonly kind: 'waiting'; readonly retryAtMs: number; readonly reason: string }
  /** Left at a URL that cannot be downloaded (refused, or expired); paid, not kept. */
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Keeps one image of an answer with its record through the store gate (stored, or spooled
 * while the store cannot be written): bytes in the answer at once; an image left at a URL
 * once downloaded under the fetch rules, and kept for a later try, without a new call, when
 * the download fails in a way that may pass. Throws when the store refuses this one write.
 */
export async function keepAnswerImage(
  deps: KeepImageDeps,
  ctx: JobContext,
  variant: number,
  image: { readonly bytes?: Uint8Array | undefined; readonly url?: string | undefined },
  record: ImageRecord,
): Promise<ImageKept> {
  if (image.bytes === undefined) {
    const download = { url: image.url ?? '', expiresAtMs: deps.now() + IMAGE_URL_LIFETIME_MS, tries: 0, cause: '', record };
    const downloaded = await downloadAndKeep(deps, ctx.jobId, variant, download, ctx.data.outputFormat);
    switch (downloaded.kind) {
      case 'stored':
      case 'spooled':
        return { kind: downloaded.kind };
      case 'waiting':
        return { kind: 'waiting', retryAtMs: downloaded.retryAtMs, reason: downloaded.reason };
      case 'failed':
        return { kind: 'failed', message: downloaded.message };
    }
  }
  const { bytes } = image;
  const type = detectImageType(bytes, ctx.data.outputFormat);
  const where = await deps.storeGate.keepImage(record.key, { bytes, contentType: type.contentType, extension: type.extension }, record);
  return { kind: where };
}
