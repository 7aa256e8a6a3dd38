import { describe, expect, it } from 'vitest';
import type { BatchSummary } from '../../../src/batch/batch-registry.js';
import { createProgressReporter } from '../../../src/cli/progress-reporter.js';

/** A terminal: every update is written at once (in place). */
function fakeStream(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

const SUMMARY: BatchSummary = {
  batchId: 'spring-sale',
  createdAt: 0,
  images: 10,
  jobs: 10,
  counts: { stored: 5, filtered: 1, failed: 1, rejected: 1, cancelled: 2 },
  calls: 8,
  rateLimitedCalls: 1,
  pending: 0,
};

describe('createProgressReporter', () => {
  it('counts cancelled images as finished, and shows them apart from failures', () => {
    const { stream, written } = fakeStream();
    createProgressReporter(stream, { now: () => 0 }).update(SUMMARY);
    expect(written.join('')).toContain('spring-sale: 10/10 (100%) stored 5, filtered 1, failed 2, cancelled 2, calls 8, 429s 1');
  });

  it('says nothing about cancelled images when there are none', () => {
    const { stream, written } = fakeStream();
    createProgressReporter(stream, { now: () => 0 }).update({ ...SUMMARY, counts: { ...SUMMARY.counts, stored: 7, cancelled: 0 } });
    expect(written.join('')).toContain('10/10 (100%) stored 7, filtered 1, failed 2, calls 8');
    expect(written.join('')).not.toContain('cancelled');
  });
});
