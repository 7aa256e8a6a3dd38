import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProgressReporter } from '../../../src/cli/progress-reporter.js';

function fakeStream(isTTY: boolean, columns = 200): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

/** A clock the test moves by hand. */
function manualClock(startMs = 0): { now: () => number; advance: (ms: number) => void } {
  let t = startMs;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const SUMMARY: BatchSummary = {
  batchId: 'spring-sale',
  createdAt: 0,
  images: 10,
  jobs: 10,
  counts: { stored: 5, filtered: 1, failed: 1, rejected: 1, cancelled: 2, skipped: 0 },
  calls: 8,
  rateLimitedCalls: 1,
  pending: 0,
  costUsd: 0,
  possiblyBilledCostUsd: 0,
  inFlightCostUsd: 0,
  maxCostUsd: undefined,
  priority: 'normal',
};

function halfway(calls: number): BatchSummary {
  return { ...SUMMARY, images: 1000, jobs: 1000, counts: { stored: calls, filtered: 0, failed: 0, rejected: 0, cancelled: 0, skipped: 0 }, calls, rateLimitedCalls: 0, pending: 1000 - calls };
}

describe('createProgressReporter without a terminal', () => {
  it('writes plain lines that count cancelled images as finished, apart from failures', () => {
    const { stream, written } = fakeStream(false);
    createProgressReporter(stream, { now: () => 0 }).update(SUMMARY);
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('spring-sale: 10/10 (100%) stored 5, filtered 1, failed 2, cancelled 2, calls 8, 429s 1');
    expect(written[0]).not.toContain('\x1b');
  });

  it('says nothing about cancelled images when there are none', () => {
    const { stream, written } = fakeStream(false);
    createProgressReporter(stream, { now: () => 0 }).update({ ...SUMMARY, counts: { ...SUMMARY.counts, stored: 7, cancelled: 0 } });
    expect(written.join('')).toContain('10/10 (100%) stored 7, filtered 1, failed 2, calls 8');
    expect(written.join('')).not.toContain('cancelled');
  });

  it('writes at most one line per interval, and the held-back final state when done', () => {
    const clock = manualClock();
    const { stream, written } = fakeStream(false);
    const progress = createProgressReporter(stream, { now: clock.now, intervalMs: 5_000 });
    progress.update(halfway(0));
    clock.advance(1_000);
    progress.update(halfway(10));
    clock.advance(1_000);
    progress.update(halfway(20));
    expect(written).toHaveLength(1);
    progress.done();
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('20/1000 (2%)');
  });

  it('shows the calls per minute measured against the quota, and the ETA at the quota', () => {
    const clock = manualClock();
    const { stream, written } = fakeStream(false);
    const progress = createProgressReporter(stream, { now: clock.now, intervalMs: 0, quotaPerMinute: 120 });
    progress.update(halfway(0));
    clock.advance(30_000);
    // 60 calls in 30 s: 120 a minute, the whole quota; 940 calls left at 120 a minute: 7 m 50 s.
    progress.update(halfway(60));
    expect(written[1]).toContain('120 of 120 calls/min (100%)');
    expect(written[1]).toContain('ETA 7 m 50 s');
  });

  it('measures the rate over the last minute only', () => {
    const clock = manualClock();
    const { stream, written } = fakeStream(false);
    const progress = createProgressReporter(stream, { now: clock.now, intervalMs: 0, quotaPerMinute: 600 });
    // A fast first minute, then a stall: the display must fall to the stall's rate.
    for (let second = 0; second <= 60; second += 10) {
      progress.update(halfway(second * 10));
      clock.advance(10_000);
    }
    for (let i = 0; i < 7; i++) {
      progress.update(halfway(600));
      clock.advance(10_000);
    }
    expect(written.at(-1)).toContain('0 of 600 calls/min (0%)');
  });

  it('counts an ETA in calls, not images, when a call makes several images', () => {
    const { stream, written } = fakeStream(false);
    createProgressReporter(stream, { now: () => 0, quotaPerMinute: 10, imagesPerCall: 4 }).update(halfway(0));
    // 1000 images, 4 per call: 250 calls at 10 a minute.
    expect(written[0]).toContain('ETA 25 m 00 s');
  });
});

describe('createProgressReporter on a terminal', () => {
  it('draws a bar and a rate line, then redraws both in place', () => {
    const clock = manualClock();
    const { stream, written } = fakeStream(true);
    const progress = createProgressReporter(stream, { now: clock.now, quotaPerMinute: 60 });
    progress.update(halfway(250));
    clock.advance(2_000);
    progress.update(halfway(500));
    progress.done();

    const [first, second, end] = written;
    expect(first).toMatch(/^spring-sale \[█{6}░{18}\] 25% 250\/1000 · stored 250 · filtered 0 · failed 0\n {2}… of 60 calls\/min · calls 250 · 429s 0 · elapsed 0 s · ETA 12 m 30 s at quota$/);
    // Back up over the two lines just drawn: clear this one, go up one and clear it.
    expect(second?.startsWith('\r\x1b[2K\x1b[1A\x1b[2K')).toBe(true);
    expect(second).toContain('[████████████░░░░░░░░░░░░] 50% 500/1000');
    expect(second).toContain('7500 of 60 calls/min');
    expect(end).toBe('\n');
  });

  it('says done instead of an ETA when nothing is pending', () => {
    const { stream, written } = fakeStream(true);
    createProgressReporter(stream, { now: () => 0, quotaPerMinute: 60 }).update(SUMMARY);
    expect(written[0]).toContain('[████████████████████████] 100% 10/10');
    expect(written[0]).toContain('· done');
  });

  it.each([40, 60, 80])('fits every row to a %i-column terminal, however long the batch id and the outcomes, keeping every figure', (columns) => {
    const { stream, written } = fakeStream(true, columns);
    const progress = createProgressReporter(stream, { now: () => 0, quotaPerMinute: 600 });
    progress.update({ ...halfway(250), batchId: 'spring-sale-2026-catalogue-refresh', counts: { stored: 240, filtered: 4, failed: 3, rejected: 3, cancelled: 3, skipped: 1 } });
    progress.update(halfway(500));
    const rows = written.flatMap((text) => stripVTControlCharacters(text).replace(/^\r/, '').split('\n'));
    for (const row of rows) expect(Array.from(row).length).toBeLessThan(columns);
    // Every figure is still shown: a narrow terminal gets a narrower bar (or none) and broken lines, not cut figures.
    expect(written[0]).toContain('25% 254/1000');
    expect(written[0]).toContain('skipped 1');
  });
});
