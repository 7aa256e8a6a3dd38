import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_PRIORITY } from '../../../src/job/job-priority.js';
import { createLineGate } from '../../../src/worker/line-gate.js';
import { processImageJob } from '../../../src/worker/process-image-job.js';
import { createFakeProcessor, fakeJob } from '../../helpers/processor-fakes.js';

/**
 * The wait behind the jobs of a line in this process (line-gate.ts) on real timers: `auto`
 * concurrency holds more jobs than inProcessMs of quota, so the wait is bounded by the line's
 * progress, not by the time since the job joined.
 */
describe('takeSlot: a job asks the waiting room once the job before it in its line here lets it go', () => {
  function setUp(inProcessMs: number) {
    const p = createFakeProcessor();
    const lineGate = createLineGate();
    const order: string[] = [];
    const limiter = {
      ...p.limiter,
      acquireInLine: (...args: Parameters<typeof p.limiter.acquireInLine>) => {
        order.push('ask');
        return p.limiter.acquireInLine(...args);
      },
    };
    // The fakes' clock, running in real time: the waits here are on real timers.
    const startedAt = Date.now();
    const now = (): number => p.clockMs + Date.now() - startedAt;
    const deps = { ...p.deps, lineGate, limiter, lineWait: { inProcessMs, parkGridMs: 250, gateMs: 50 }, now };
    const job = fakeJob();
    // The line of the job: its deployments, priority and batch (take-slot.ts).
    const line = `east|${DEFAULT_JOB_PRIORITY}|${job.data.batchId}`;
    return { p, deps, job, line, lineGate, order };
  }

  it('waits past inProcessMs while the line moves: two jobs ahead let go 600 ms apart, with a bound of 1,000 ms', async () => {
    const { p, deps, job, line, lineGate, order } = setUp(1_000);
    const first = lineGate.join(line);
    const second = lineGate.join(line);
    const timers = [
      setTimeout(() => {
        order.push('first lets go');
        first.letNextGo();
      }, 600),
      setTimeout(() => {
        order.push('second lets go');
        second.letNextGo();
      }, 1_200),
    ];
    try {
      expect(await processImageJob(deps, job)).toMatchObject({ kind: 'completed' });
    } finally {
      timers.forEach(clearTimeout);
    }
    // Bounded by the time since it joined, it would have asked at 1,000 ms, before its turn.
    expect(order).toEqual(['first lets go', 'second lets go', 'ask']);
    expect(p.calls).toHaveLength(1);
  });

  it('stops waiting once the line has stood still for inProcessMs: the job before it is stuck, and it asks', async () => {
    const { p, deps, job, line, lineGate, order } = setUp(300);
    const stuck = lineGate.join(line);
    const startedAt = Date.now();
    expect(await processImageJob(deps, job)).toMatchObject({ kind: 'completed' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(order).toEqual(['ask']);
    expect(p.calls).toHaveLength(1);
    stuck.letNextGo();
  });
});
