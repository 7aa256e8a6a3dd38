import type { ProcessResult } from '../processor-deps.js';
import { keepPendingDownloads, type DownloadDeps } from '../keep-pending-downloads.js';
import type { JobContext } from './job-context.js';
import { recordOutcomes, type RecordDeps } from './record-outcomes.js';

export type DownloadsLeft =
  /** A download waits for its next try, or every image is settled and one download was given up: the run ends here. */
  | { readonly kind: 'stopped'; readonly result: ProcessResult }
  /** The images still to be called for. */
  | { readonly kind: 'to_call'; readonly pending: readonly number[] };

/**
 * Part of "already kept?", after the store was read: an image of the job paid for and left at
 * a URL that could not be downloaded yet is downloaded now, never called for again. While a
 * download waits for its next try, the job makes no call.
 */
export async function keepDownloadsLeft(deps: DownloadDeps & RecordDeps, ctx: JobContext, notInStore: readonly number[]): Promise<DownloadsLeft> {
  const downloads = await keepPendingDownloads(deps, ctx.jobId, notInStore, ctx.data.outputFormat);
  for (const settled of downloads.settled) {
    if (settled.kind === 'failed') await recordOutcomes(deps, ctx, [settled.variant], 'failed', { reason: 'not_kept', message: settled.message });
    else await recordOutcomes(deps, ctx, [settled.variant], 'stored');
  }
  if (downloads.retry !== undefined) return { kind: 'stopped', result: { kind: 'delayed', untilMs: downloads.retry.untilMs, reason: downloads.retry.reason } };
  const pending = notInStore.filter((variant) => ctx.outcomes[ctx.keyOf(variant)] === undefined);
  const givenUp = downloads.settled.find((settled) => settled.kind === 'failed');
  if (pending.length === 0 && givenUp?.kind === 'failed') return { kind: 'stopped', result: { kind: 'failed', message: givenUp.message } };
  return { kind: 'to_call', pending };
}
