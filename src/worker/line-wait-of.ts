import type { LimiterSettings } from '../config/config.js';
import type { LineWait } from './stages/take-slot.js';

/**
 * The longest wait in the process for a turn in line, ms: once behind the jobs of its line in
 * this process (line-gate.ts), once for the turn the waiting room names. `concurrency: auto`
 * holds this much of the quota in jobs beside the calls underway (admissionAllowance), so a
 * fetched job rarely parks. A closing worker wants its slots back: such a job parks at its
 * next look (every maxSleepMs) unless its turn has come.
 */
export const LINE_WAIT_IN_PROCESS_MS = 10_000;

/**
 * How jobs wait for their turn in the waiting room: in the process up to LINE_WAIT_IN_PROCESS_MS
 * (at least maxSleepMs, at most half the lock: a longer wait would cost a lock renewal, three
 * commands, each half lock), looking every maxSleepMs whether its worker slot is wanted
 * (queue-backlog.ts); parked ones wake on a grid of maxSleepMs / 8. The limiter wakes a
 * parked job maxSleepMs / 4 before its turn, so put down to that grid it is back between
 * maxSleepMs / 4 and 3/8 ahead: still within the maxSleepMs / 2 that takes a slot at once.
 */
export function lineWaitOf(limiter: Pick<LimiterSettings, 'maxSleepMs'>, lockDurationMs: number): LineWait {
  return {
    inProcessMs: Math.max(limiter.maxSleepMs, Math.min(LINE_WAIT_IN_PROCESS_MS, lockDurationMs / 2)),
    parkGridMs: Math.max(1, Math.floor(limiter.maxSleepMs / 8)),
    gateMs: limiter.maxSleepMs,
  };
}
