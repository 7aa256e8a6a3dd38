import { describe, expect, it } from 'vitest';
import { createEnqueueProgressReporter } from '../../../src/cli/enqueue-progress-reporter.js';
import type { EnqueueProgress } from '../../../src/queue/producer.js';

function fakeStream(isTTY: boolean, columns = 200): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

function progress(inputs: number, rejected = 0): EnqueueProgress {
  return { inputs, accepted: inputs - rejected, rejected, jobsAdded: inputs - rejected, imagesAdded: inputs - rejected };
}

describe('createEnqueueProgressReporter', () => {
  it('on a terminal, draws the share of the file read with a bar and an ETA, in place', () => {
    let t = 0;
    let bytesRead = 0;
    const { stream, written } = fakeStream(true);
    const reporter = createEnqueueProgressReporter(stream, { batchId: 'icons', file: { sizeBytes: 1000, bytesRead: () => bytesRead }, now: () => t });
    t = 10_000;
    bytesRead = 250;
    reporter.update(progress(5000, 2));
    reporter.done();

    expect(written[0]).toBe('enqueue icons [██████░░░░░░░░░░░░░░░░░░] 25% of the file · 5000 rows (4998 valid, 2 refused) · 4998 new images in 4998 jobs · 500 rows/s · ETA 30 s');
    expect(written[1]).toBe('\n');
  });

  it('on an 80-column terminal, breaks the status over rows that fit and redraws over all of them', () => {
    let bytesRead = 250;
    const { stream, written } = fakeStream(true, 80);
    const reporter = createEnqueueProgressReporter(stream, { batchId: 'spring-catalogue', file: { sizeBytes: 1000, bytesRead: () => bytesRead }, redrawMs: 0, now: () => 10_000 });
    reporter.update(progress(5000, 2));
    bytesRead = 500;
    reporter.update(progress(9000, 2));
    const firstRows = (written[0] ?? '').split('\n');
    expect(firstRows.length).toBeGreaterThan(1);
    for (const row of firstRows) expect(Array.from(row).length).toBeLessThan(80);
    expect(written[0]).toContain('25% of the file');
    expect(written[1]?.startsWith(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(firstRows.length - 1)}enqueue`)).toBe(true);
  });

  it('redraws a terminal at most every redrawMs, and always shows the last state when done', () => {
    let t = 0;
    const { stream, written } = fakeStream(true);
    const reporter = createEnqueueProgressReporter(stream, { batchId: 'icons', redrawMs: 100, now: () => t });
    reporter.update(progress(500));
    t = 50;
    reporter.update(progress(1000));
    expect(written).toHaveLength(1);
    reporter.done();
    expect(written[1]).toContain('1000 rows');
    expect(written[2]).toBe('\n');
  });

  it('without a terminal, writes plain lines with no bar or escape codes', () => {
    let t = 0;
    const { stream, written } = fakeStream(false);
    const reporter = createEnqueueProgressReporter(stream, { batchId: 'icons', file: { sizeBytes: 100, bytesRead: () => 100 }, intervalMs: 5_000, now: () => t });
    reporter.update(progress(10));
    t = 1_000;
    reporter.update(progress(20));
    reporter.done();
    expect(written).toEqual([
      'enqueue icons 100% of the file: 10 rows (10 valid, 0 refused), 10 new images in 10 jobs, 0 rows/s\n',
      'enqueue icons 100% of the file: 20 rows (20 valid, 0 refused), 20 new images in 20 jobs, 20 rows/s\n',
    ]);
  });

  it('writes nothing for an enqueue that reported nothing', () => {
    const { stream, written } = fakeStream(true);
    createEnqueueProgressReporter(stream, { batchId: 'icons' }).done();
    expect(written).toEqual([]);
  });
});
