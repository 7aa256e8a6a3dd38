import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

const MODEL = 'gpt-image-1-mini';
const requests = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, prompt: `${prefix} kite ${i}`, model: MODEL }));

// One deployment at 600 rpm: ten calls a second, and with maxSleepMs 400 a job in line books at
// most ~200 ms (two slots) ahead, so the order in which batches get slots shows in how far the
// others got when one finishes. A job whose turn is within maxSleepMs keeps its worker slot
// though a batch waits unfetched behind it; the farther ones park and let that batch in.
describe('priority and fair share: who gets the next slots', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await createPipeline({
      simulator: { deployments: [{ name: 'only', model: MODEL, ratePerMinute: 600, latency: { meanMs: 30, sdMs: 5 } }] },
      limiter: { maxSleepMs: 400 },
    });
    p.startWorker();
  });
  afterAll(async () => {
    await p.close();
  });

  /**
   * Calls of batch `other` that reached the service before the last call of `batchId`, by the
   * simulator's record: how far the other got while this one was served, not counting what it
   * did while the test saw the batch finish (ten calls a second go on meanwhile).
   */
  function callsBeforeLastOf(batchId: string, other: string): number {
    const calls = p.simulator.stats();
    const lastAt = Math.max(...calls.filter((c) => c.clientRequestId?.startsWith(`${batchId}/`) === true).map((c) => c.arrivedAtMs));
    return calls.filter((c) => c.clientRequestId?.startsWith(`${other}/`) === true && c.arrivedAtMs < lastAt).length;
  }

  it('serves a high batch enqueued behind a waiting bulk backlog before the rest of the backlog', async () => {
    await p.producer.enqueue(requests(30, 'bulk'), { batchId: 'backlog', priority: 'bulk' });
    await waitFor(
      async () => ((await p.producer.batches.summary('backlog')).counts.stored >= 3 ? true : undefined),
      15_000,
      () => 'the backlog to start',
    );
    await p.producer.enqueue(requests(3, 'high'), { batchId: 'urgent', priority: 'high' });
    await p.waitForBatch('urgent', 15_000);
    // Slots booked before it came (at most maxSleepMs / 2 ahead) go first; the rest of the backlog waits.
    expect(callsBeforeLastOf('urgent', 'backlog')).toBeLessThan(20);
  });

  it('lets a small batch take turns with a big one of the same priority', async () => {
    // Normal beats what is left of the bulk backlog; between themselves, the two take turns.
    await p.producer.enqueue(requests(24, 'big'), { batchId: 'big' });
    await p.producer.enqueue(requests(4, 'small'), { batchId: 'small' });
    await p.waitForBatch('small', 15_000);
    // Round-robin: the small one's 4 images alternate with the big one's; it does not wait for all 24.
    expect(callsBeforeLastOf('small', 'big')).toBeLessThan(16);
  });
});
