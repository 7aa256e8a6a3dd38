import { describe, expect, it } from 'vitest';
import type { BatchEnqueueResult } from '../../../src/batch/enqueue-into-batch.js';
import { reenqueueLines } from '../../../src/cli/reenqueue-lines.js';

const NOTHING_RESUMED = { forgottenOutcomes: 0, requeued: 0, retried: 0, forgotten: 0, uncancelled: 0, unskipped: 0, releasedReservations: 0 };

function result(fields: Partial<BatchEnqueueResult>): BatchEnqueueResult {
  return { batchId: 'shop', accepted: 2, rejected: [], jobsAdded: 0, imagesAdded: 0, jobsAlreadyQueued: 2, notices: [], changed: [], redoneImages: 0, changedInFlight: [], ...fields };
}

describe('reenqueueLines', () => {
  it('says nothing for a new batch, or one where nothing changed and nothing was queued again', () => {
    expect(reenqueueLines(result({}))).toEqual([]);
    expect(reenqueueLines(result({ resumed: NOTHING_RESUMED }))).toEqual([]);
  });

  it('lists changed rows kept as they were, and how to make them again', () => {
    expect(reenqueueLines(result({ changed: ['boat', 'mug'] }))).toEqual([
      '2 rows changed since they were enqueued into batch shop: boat, mug; kept as they were, no call made (--redo-changed makes them again and keeps the previous images)',
    ]);
  });

  it('says how many images are made again and where the previous ones are, and names rows left alone while a worker makes them', () => {
    expect(reenqueueLines(result({ changed: ['boat', 'mug'], redoneImages: 3, changedInFlight: ['boat'] }))).toEqual([
      '2 rows changed since they were enqueued into batch shop: boat, mug; 3 images of 1 rows to be made again, the previous ones kept in shop/previous/',
      '1 changed rows are being made right now and were left as they are: boat; enqueue again with --redo-changed once they are done',
    ]);
  });

  it('shows the first 20 ids of a long list and counts the rest', () => {
    const ids = Array.from({ length: 25 }, (_, i) => `r${i}`);
    expect(reenqueueLines(result({ changed: ids }))[0]).toContain('r19 and 5 more; kept as they were');
  });

  it('says what the resume queued again', () => {
    expect(reenqueueLines(result({ resumed: { ...NOTHING_RESUMED, retried: 1, forgottenOutcomes: 2, requeued: 2, unskipped: 1 } }))).toEqual([
      'resumed batch shop: 2 images missing from the store to make again (2 finished jobs added again), 1 failed jobs retried, 0 cancelled images queued again, 1 images skipped for the budget queued again',
    ]);
  });
});
