import { describe, expect, it } from 'vitest';
import { toMicroUsd } from '../../../src/cost/micro-usd.js';
import { createModelCatalogue } from '../../../src/models/model-catalogue.js';
import { applyModelOverrides } from '../../../src/models/model-overrides.js';
import { BUILT_IN_MODELS } from '../../../src/models/model-table.js';
import { usePipeline } from '../../helpers/pipeline.js';
import { waitFor } from '../../helpers/wait-for.js';

// gpt-image-1.5 low 1024² of a 15-character prompt: 272 × $32/1M + 4 × $5/1M = $0.008724 expected.
const EXPECTED_USD = 0.008724;

describe('long calls (real Redis, simulator over HTTP)', () => {
  const open = usePipeline();

  it('a 4 s call under a 1 s lock keeps its lock for as long as it runs: one call, no stall, even with a second worker waiting', async () => {
    const p = await open({
      simulator: { deployments: [{ name: 'slow', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 4_000, sdMs: 0 } }] },
      worker: { lockDurationMs: 1_000, stalledIntervalMs: 500, timeoutMs: 20_000 },
    });
    const first = p.startWorker();
    const second = p.startWorker();
    const stalled: string[] = [];
    for (const { worker } of [first, second]) worker.on('stalled', (jobId) => stalled.push(jobId));

    await p.producer.enqueue([{ id: 'kite', prompt: 'A kite number 1', model: 'gpt-image-1.5', quality: 'low' }], { batchId: 'longcall' });
    const summary = await p.waitForBatch('longcall', 30_000);

    expect(summary.counts).toMatchObject({ stored: 1, failed: 0 });
    expect(summary.calls).toBe(1);
    expect(p.simulator.stats().map((call) => [call.deployment, call.outcome])).toEqual([['slow', 'ok']]);
    expect(stalled).toEqual([]);
    // Completed, so removed at once (completed jobs are not kept): by BullMQ's move to completed,
    // one round trip after the job's last outcome (which ended the batch) was recorded.
    await waitFor(async () => ((await p.producer.queue.getJob('longcall/kite/v0')) === undefined ? true : undefined), 5_000, () => 'job longcall/kite/v0 still in the queue');
  });

  it('a call that times out is counted against the budget as possibly billed and retried once; the error names the timeout and its setting', async () => {
    // The config gives gpt-image-1.5 a 1 s timeout; the simulated service takes 2 s.
    const models = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, { 'gpt-image-1.5': { timeoutMs: 1_000 } }, 'test config'));
    const p = await open({
      simulator: { deployments: [{ name: 'slow', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 2_000, sdMs: 0 } }] },
      worker: { timeoutMs: undefined, attempts: 5 },
      models,
    });
    p.startWorker();
    await p.producer.enqueue([{ id: 'kite', prompt: 'A kite number 1', model: 'gpt-image-1.5', quality: 'low' }], { batchId: 'timeouts' });
    const summary = await p.waitForBatch('timeouts', 30_000);

    // Two calls, not five: the first and one retry.
    expect(p.simulator.stats()).toHaveLength(2);
    expect(summary).toMatchObject({ counts: { failed: 1, stored: 0 }, calls: 2, inFlightCostUsd: 0 });
    expect(toMicroUsd(summary.costUsd)).toBe(toMicroUsd(2 * EXPECTED_USD));
    expect(toMicroUsd(summary.possiblyBilledCostUsd)).toBe(toMicroUsd(2 * EXPECTED_USD));
    expect(toMicroUsd(await p.producer.batches.totalCostUsd())).toBe(toMicroUsd(2 * EXPECTED_USD));
    const errors = await p.producer.batches.errors('timeouts');
    expect(errors['timeouts/kite-0']).toBe(
      'the call timed out after 1 s (models.gpt-image-1.5.timeoutMs) and may have been billed: $0.0087 counted against the budget; ' +
        "2 calls timed out and worker.timeoutRetries (1) allows retrying once: raise models.gpt-image-1.5.timeoutMs if this model's calls take longer",
    );
  });

  it('a budget counts a timed-out call, so a retry that would pass it is not made', async () => {
    const models = createModelCatalogue(applyModelOverrides(BUILT_IN_MODELS, { 'gpt-image-1.5': { timeoutMs: 1_000 } }, 'test config'));
    const p = await open({
      simulator: { deployments: [{ name: 'slow', model: 'gpt-image-1.5', ratePerMinute: 600, latency: { meanMs: 2_000, sdMs: 0 } }] },
      worker: { timeoutMs: undefined },
      models,
    });
    p.startWorker();
    // Room for one call: the timed-out one is counted as spent, so its retry would pass the budget.
    await p.producer.batches.setMaxCost('tight', 0.01);
    await p.producer.enqueue([{ id: 'kite', prompt: 'A kite number 1', model: 'gpt-image-1.5', quality: 'low' }], { batchId: 'tight' });
    const summary = await p.waitForBatch('tight', 30_000);
    expect(p.simulator.stats()).toHaveLength(1);
    expect(summary).toMatchObject({ counts: { skipped: 1 }, calls: 1 });
    expect(toMicroUsd(summary.possiblyBilledCostUsd)).toBe(toMicroUsd(EXPECTED_USD));
    expect(Object.values(await p.producer.batches.errors('tight'))[0]).toMatch(/^budget: \$0\.0087 spent \+ \$0\.0000 in flight \+ \$0\.0087 expected for this call would exceed the batch's budget of \$0\.0100/);
  });
});
