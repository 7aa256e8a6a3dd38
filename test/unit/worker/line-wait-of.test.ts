import { describe, expect, it } from 'vitest';
import { LINE_WAIT_IN_PROCESS_MS, lineWaitOf } from '../../../src/worker/line-wait-of.js';

describe('lineWaitOf: how a job waits for its turn in line', () => {
  it('waits in the process up to ten seconds with the default lock, and parks on a grid of an eighth of maxSleepMs', () => {
    expect(lineWaitOf({ maxSleepMs: 2_000 }, 30_000)).toEqual({ inProcessMs: LINE_WAIT_IN_PROCESS_MS, parkGridMs: 250, gateMs: 2_000 });
  });

  it('waits no longer than half the lock, so a wait costs no lock renewal of its own', () => {
    expect(lineWaitOf({ maxSleepMs: 2_000 }, 8_000).inProcessMs).toBe(4_000);
  });

  it('waits at least maxSleepMs, what a slot already booked is waited for', () => {
    expect(lineWaitOf({ maxSleepMs: 2_000 }, 1_000).inProcessMs).toBe(2_000);
  });
});
