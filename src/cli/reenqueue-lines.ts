import type { BatchEnqueueResult } from '../batch/enqueue-into-batch.js';

/** Ids shown in one line before the rest is counted; the JSON output always lists them all. */
const SHOWN_IDS = 20;

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, SHOWN_IDS).join(', ');
  return ids.length > SHOWN_IDS ? `${shown} and ${ids.length - SHOWN_IDS} more` : shown;
}

/**
 * What enqueueing into a batch that existed did beyond adding jobs, for people: rows that
 * changed (kept or made again), and what resuming it queued again. No lines for a new batch.
 */
export function reenqueueLines(result: BatchEnqueueResult): string[] {
  const lines: string[] = [];
  const { changed, changedInFlight: inFlight, redoneImages, resumed, batchId } = result;
  if (changed.length > 0) {
    const redone = changed.filter((id) => !inFlight.includes(id));
    lines.push(
      redoneImages > 0
        ? `${changed.length} rows changed since they were enqueued into batch ${batchId}: ${listIds(changed)}; ${redoneImages} images of ${redone.length} rows to be made again, the previous ones kept in ${batchId}/previous/`
        : `${changed.length} rows changed since they were enqueued into batch ${batchId}: ${listIds(changed)}; kept as they were, no call made (--redo-changed makes them again and keeps the previous images)`,
    );
  }
  if (inFlight.length > 0) lines.push(`${inFlight.length} changed rows are being made right now and were left as they are: ${listIds(inFlight)}; enqueue again with --redo-changed once they are done`);
  if (resumed !== undefined && resumed.forgottenOutcomes + resumed.requeued + resumed.retried + resumed.uncancelled > 0) {
    lines.push(
      `resumed batch ${batchId}: ${resumed.forgottenOutcomes} images missing from the store to make again (${resumed.requeued} finished jobs added again), ${resumed.retried} failed jobs retried, ${resumed.uncancelled} cancelled images queued again` +
        (resumed.unskipped > 0 ? `, ${resumed.unskipped} images skipped for the budget queued again` : ''),
    );
  }
  return lines;
}
