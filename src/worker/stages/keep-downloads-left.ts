import type { WorkerSettings } from '../../config/config.js';
import type { ProcessResult } from '../processor-deps.js';
import { keepPendingDownloads, type DownloadDeps } from '../keep-pending-downloads.js';
import type { JobContext } from './job-context.js';
import { recordOutcomes, type RecordDeps } from './record-outcomes.js';

export type DownloadsLeft =
  /** A download waits for its next try, a downloaded image waits in the spool, or every image is settled and one download was given up: the run ends here. */
  | { readonly kind: 'stopped'; readonly result: ProcessResult }
  /** The images still to be called for. */
  | { readonly kind: 'to_call'; readonly pending: readonly number[] };

/**
 * Part of "already kept?", after the store was read: an image of the job paid for and left at
 * a URL that could not be downloaded yet is downloaded now, never called for again. While a
 * download waits for its next try, the job makes no call. Whether to read is the batch's to say
 * (`mayHaveDownloadsLeft`: no job of it ever left a download pending), never the job state's:
 * `imgbatch resume` and the review of known jobs clear that state while a pending download can
 * outlive it, and skipping the read then would call (and pay) for the image again.
 */
export async function keepDownloadsLeft(
  deps: DownloadDeps & RecordDeps & { readonly settings: Pick<WorkerSettings, 'pauseRecheckMs'> },
  ctx: JobContext,
  notInStore: readonly number[],
  mayHaveDownloadsLeft: boolean,
): Promise<DownloadsLeft> {
  const downloads = mayHaveDownloadsLeft ? await keepPendingDownloads(deps, ctx.jobId, notInStore, ctx.data.outputFormat) : { settled: [] };
  const spooled: number[] = [];
  for (const settled of downloads.settled) {
    if (settled.kind === 'failed') await recordOutcomes(deps, ctx, [settled.variant], 'failed', { reason: 'not_kept', message: settled.message });
    else if (settled.kind === 'spooled') spooled.push(settled.variant);
    else await recordOutcomes(deps, ctx, [settled.variant], 'stored');
  }
  if (downloads.retry !== undefined) return { kind: 'stopped', result: { kind: 'delayed', untilMs: downloads.retry.untilMs, reason: downloads.retry.reason } };
  // Paid, downloaded and spooled: the job comes back and finds it in the store once it lands.
  // Going on to the store gate instead could find the spool already flushed and call again.
  if (spooled.length > 0) {
    const reason = `${spooled.length} paid image(s) downloaded and kept in the spool until the store takes writes again`;
    return { kind: 'stopped', result: { kind: 'delayed', untilMs: deps.now() + deps.settings.pauseRecheckMs, reason } };
  }
  const pending = notInStore.filter((variant) => ctx.outcomes[ctx.keyOf(variant)] === undefined);
  const givenUp = downloads.settled.find((settled) => settled.kind === 'failed');
  if (pending.length === 0 && givenUp?.kind === 'failed') return { kind: 'stopped', result: { kind: 'failed', message: givenUp.message } };
  return { kind: 'to_call', pending };
}
