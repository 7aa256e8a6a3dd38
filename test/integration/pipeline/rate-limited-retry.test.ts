import { describe, expect, it } from 'vitest';
import { usePipeline } from '../../helpers/pipeline.js';

const MODEL = 'gpt-image-1-mini';

describe('a job answered 429 comes back at the front of the line', () => {
  const open = usePipeline();

  it('is the next call on its deployment after the wait the service named, ahead of the jobs holding later slots', async () => {
    // 120 rpm: a call every 510 ms (2% headroom). maxSleepMs below one interval: every slot but
    // the first is held as a reservation by a delayed job, so the whole line is in Redis.
    const p = await open({
      simulator: { deployments: [{ name: 'line', model: MODEL, ratePerMinute: 120, latency: { meanMs: 30, sdMs: 5 } }] },
      limiter: { maxSleepMs: 200 },
    });
    const waitMs = 600;
    // The deployment's first call, whichever job makes it, is told to come back in 600 ms.
    p.simulator.script({ deployment: 'line' }, [{ kind: '429', retryAfterMs: waitMs, headers: 'ms-and-seconds' }]);
    await p.producer.enqueue(
      Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, prompt: `a kite in the wind, study ${i}`, model: MODEL })),
      { batchId: 'line' },
    );
    p.startWorker();
    const summary = await p.waitForBatch('line', 30_000);
    expect(summary.counts.stored).toBe(12);

    const calls = p.simulator.stats().filter((c) => c.deployment === 'line');
    const throttled = calls.find((c) => c.outcome === 'rate_limited');
    expect(calls.filter((c) => c.outcome === 'rate_limited')).toHaveLength(1);
    const afterWait = calls.filter((c) => throttled !== undefined && c.arrivedAtMs >= throttled.arrivedAtMs + waitMs);
    // Not the back of the line (12 slots, 6 s on): the first slot after the wait that a
    // delayed job held, taken over, within an interval of the wait's end. Measured where the
    // limiter chose it, by Redis's clock (the arrival times would add whatever a busy machine
    // loses waking the delayed job and sending its call).
    expect(afterWait[0]?.clientRequestId).toBe(throttled?.clientRequestId);
    expect(afterWait[0]?.outcome).toBe('ok');
    const held = p.logs.filter((line) => line.msg === '429: waiting as the service asked');
    expect(held).toEqual([expect.objectContaining({ deployment: 'line', waitMs })]);
    expect(held[0]?.retryInMs).toBeGreaterThanOrEqual(waitMs);
    expect(held[0]?.retryInMs).toBeLessThanOrEqual(waitMs + 510);
  });
});
