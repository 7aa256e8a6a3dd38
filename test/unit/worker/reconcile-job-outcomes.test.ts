import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';
import { reconcileJobOutcomes } from '../../../src/worker/reconcile-job-outcomes.js';
import { createFakeBatches, createFakeJobState, createFakeStore } from '../../helpers/processor-fakes.js';

const LOST = { reason: 'lost_outcome_reconciled', message: 'the job failed (boom) before recording this image\'s outcome' } as const;

function fakes() {
  const jobState = createFakeJobState();
  const batches = createFakeBatches(jobState);
  const store = createFakeStore();
  const deps = { batches, jobState, store, logger: createLogger({ level: 'silent' }), sleep: () => Promise.resolve() };
  return { batches, jobState, store, deps };
}

describe('reconcileJobOutcomes: a job that left the queue without all its outcomes', () => {
  const job = { id: 'b/mug/v0-2', data: { batchId: 'b', requestId: 'mug', variants: [0, 1, 2] } };

  it('gives each image without an outcome one: stored if the store holds it, else failed with the reason; recorded outcomes stay', async () => {
    const { batches, store, deps } = fakes();
    store.records.set('b/mug-1', { key: 'b/mug-1', status: 'stored' } as ImageRecord);
    await batches.recordOutcome('b', 'b/mug-2', 'filtered');
    expect(await reconcileJobOutcomes(deps, job, LOST)).toBe(2);
    expect(batches.outcomes.get('b/mug-0')).toEqual({ outcome: 'failed', reason: 'lost_outcome_reconciled', error: LOST.message });
    expect(batches.outcomes.get('b/mug-1')).toMatchObject({ outcome: 'stored' });
    expect(batches.outcomes.get('b/mug-2')).toMatchObject({ outcome: 'filtered' });
  });

  it('counts the call its worker left open as possibly billed, once, and gives its reservation back', async () => {
    const { batches, jobState, deps } = fakes();
    await batches.reserveCost('b', job.id, 0.03);
    jobState.leaveOpenCall(job.id, { callId: 'c1', usd: 0.03, images: [{ imageKey: 'b/mug-0', usd: 0.01 }] });
    await reconcileJobOutcomes(deps, job, LOST);
    await reconcileJobOutcomes(deps, job, LOST);
    expect(batches.settlements).toEqual([{ callId: 'c1', usd: 0.03, images: [{ imageKey: 'b/mug-0', usd: 0.01 }], isPossiblyBilled: true }]);
    expect(batches.reservations.size).toBe(0);
  });

  it('a job whose data names no images reconciles nothing', async () => {
    const { batches, deps } = fakes();
    expect(await reconcileJobOutcomes(deps, { id: 'x', data: { prompt: 'no identity' } }, LOST)).toBe(0);
    expect(batches.outcomes.size).toBe(0);
  });
});
