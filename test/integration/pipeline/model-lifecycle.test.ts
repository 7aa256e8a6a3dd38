import { describe, expect, it } from 'vitest';
import { usePipeline } from '../../helpers/pipeline.js';

const fast = { meanMs: 20, sdMs: 5 };

describe('model lifecycles in the pipeline (real Redis, simulator)', () => {
  const open = usePipeline();

  it('refuses a retired model at enqueue, naming its retirement date and its replacement, and calls nothing for it', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'g1', model: 'gpt-image-1', ratePerMinute: 600, latency: fast }, { name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600, latency: fast }] } });
    p.startWorker();
    const result = await p.producer.enqueue(
      [
        { id: 'old', prompt: 'A lighthouse', model: 'gpt-image-1' },
        { id: 'new', prompt: 'A lighthouse', model: 'gpt-image-1-mini' },
      ],
      { batchId: 'retired' },
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      {
        location: 'requests[0]',
        position: { index: 0 },
        issues: [{ location: 'requests[0]', field: 'model', reason: 'gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead' }],
      },
    ]);
    await p.waitForBatch('retired');
    expect(p.simulator.stats().map((call) => call.deployment)).toEqual(['mini']);
  });

  it('takes a model retiring within 30 days with a notice; the worker refuses its job once the day has come, before any call', async () => {
    const p = await open({ simulator: { deployments: [{ name: 'g1', model: 'gpt-image-1', ratePerMinute: 600, latency: fast }] } });
    // Enqueued ten days before gpt-image-1's retirement (2026-10-23): taken, with a warning.
    const enqueued = await p.producer.enqueue([{ id: 'late', prompt: 'A lighthouse', model: 'gpt-image-1', n: 2 }], { batchId: 'retiring', nowMs: Date.parse('2026-10-13T09:00:00Z') });
    expect(enqueued).toMatchObject({ accepted: 1, imagesAdded: 2 });
    expect(enqueued.notices).toEqual([
      {
        model: 'gpt-image-1',
        retiresOn: '2026-10-23',
        daysLeft: 10,
        replacedBy: ['gpt-image-2'],
        requests: 1,
        message: 'gpt-image-1 retires on Azure on 2026-10-23, in 10 days: calls after that fail; move to gpt-image-2',
      },
    ]);

    // The worker runs today, after the retirement: the jobs end `rejected` with the reason, and no call is made.
    p.startWorker();
    const summary = await p.waitForBatch('retiring');
    expect(summary.counts).toMatchObject({ rejected: 2, stored: 0, failed: 0 });
    expect(summary.calls).toBe(0);
    const errors = await p.producer.batches.errors('retiring');
    expect(Object.values(errors)).toEqual([
      'invalid job payload: model: gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead',
      'invalid job payload: model: gpt-image-1 was retired on Azure on 2026-10-23 (its deployments no longer answer); use gpt-image-2 instead',
    ]);
    expect(p.simulator.stats()).toEqual([]);
  });
});
