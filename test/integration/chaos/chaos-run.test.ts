import { describe, expect, it } from 'vitest';
import { parseChaosOptions } from '../../../scripts/chaos/chaos-options.js';
import { runChaos } from '../../../scripts/chaos/run-chaos.js';

describe('a small chaos run (npm run chaos, scaled down)', () => {
  it('200 images through 500s, hangs, resets and 429 bursts, one worker SIGKILLed, one redis-server restart, a Redis pause of 3× the job lock, a store outage, under a budget: nothing lost, every stored file matches its record, every second payment explained by the kill of its worker, the spend within the budget', async () => {
    const lines: string[] = [];
    const run = await runChaos(
      // The kill comes once the workers are busy (they take a few seconds to start), the
      // store outage at a fifth, the restart half way, the pause (SIGSTOP for 3× a 2 s lock, so
      // every lock held then expires and the stalled checker hands jobs in mid-call to the other
      // worker) at 70%; the deadline leaves the test's own timeout room to report.
      parseChaosOptions(
        [
          ...['--images', '200', '--workers', '2', '--kill-every-ms', '6000', '--max-kills', '1', '--redis-restart-at', '0.5', '--burst-every-ms', '4000'],
          ...['--store-outage-at', '0.2', '--store-outage-ms', '4000', '--lock-ms', '2000', '--redis-pause-at', '0.7', '--deadline-ms', '70000', '--seed', '11'],
        ],
        {},
      ),
      { log: (line) => lines.push(line) },
    );
    const { report } = run;
    const context = `${lines.join('\n')}\n${JSON.stringify(report, null, 1)}`;
    expect(run.isFinished, context).toBe(true);
    expect(run.kills, context).toBe(1);
    expect(run.redisRestarts, context).toBe(1);
    expect(run.storeOutages, context).toBe(1);
    expect(run.redisPauses, context).toBe(1);
    expect(run.overBudgetUsd, context).toBe(0);
    expect(report.lost, context).toBe(0);
    expect(report.mismatch, context).toBe(0);
    expect(report.unexplainedDuplicates, context).toBe(0);
    expect(report.stored + report.filtered + report.failedWithReason, context).toBe(200);
    // The faults really happened.
    expect((report.callsByOutcome.error_500 ?? 0) + (report.callsByOutcome.hang ?? 0) + (report.callsByOutcome.reset ?? 0), context).toBeGreaterThan(0);
  }, 100_000);
});
