import { defaultRepeatStrategy } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { nextRunTimes } from '../../../src/schedule/next-run-times.js';

// 2025-10-26 00:30 UTC: 02:30 in Paris, half an hour before its clocks go back from 03:00 to 02:00.
const BEFORE_PARIS_DST_ENDS = Date.UTC(2025, 9, 26, 0, 30, 0);

describe('nextRunTimes', () => {
  it('gives consecutive due times in the schedule’s zone, seconds first in 6-field patterns', () => {
    expect(nextRunTimes('0 2 * * *', 'Europe/Paris', Date.UTC(2025, 0, 31, 12, 0, 0), 2)).toEqual([Date.UTC(2025, 1, 1, 1, 0, 0), Date.UTC(2025, 1, 2, 1, 0, 0)]);
    expect(nextRunTimes('* * * * * *', 'UTC', Date.UTC(2025, 0, 31, 12, 0, 0), 3)).toEqual([1, 2, 3].map((s) => Date.UTC(2025, 0, 31, 12, 0, s)));
  });

  it('agrees with BullMQ’s own repeat strategy, run after run, across a DST change', () => {
    for (const pattern of ['* * * * * *', '0 * * * *', '@hourly', '0 2 * * *', '30 0 2,14 * * 1-5', '0 0 1 * *']) {
      for (const tz of ['UTC', 'Europe/Paris', 'America/New_York']) {
        const bullmq: number[] = [];
        let afterMs = BEFORE_PARIS_DST_ENDS;
        for (let i = 0; i < 6; i += 1) {
          const next = defaultRepeatStrategy(afterMs, { pattern, tz });
          if (next === undefined) throw new Error(`BullMQ gave no next run for ${pattern} in ${tz}`);
          bullmq.push(next);
          afterMs = next;
        }
        expect(nextRunTimes(pattern, tz, BEFORE_PARIS_DST_ENDS, 6), `${pattern} in ${tz}`).toEqual(bullmq);
      }
    }
  });

  it('throws, as BullMQ would at upsert, for values out of range and nicknames it does not know', () => {
    expect(() => nextRunTimes('70 * * * *', 'UTC', 0, 2)).toThrow(/Constraint error, got value 70 expected range 0-59/);
    expect(() => nextRunTimes('@fortnightly', 'UTC', 0, 2)).toThrow(Error);
  });
});
