import { describe, expect, it } from 'vitest';
import { buildChaosReport, type ChaosEvidence } from '../../../scripts/chaos/chaos-report.js';
import type { CallRecord } from '../../../src/simulator/call-stats.js';
import type { ImageRecord } from '../../../src/storage/image-record.js';

function call(key: string, arrivedAtMs: number, outcome: CallRecord['outcome'] = 'ok'): CallRecord {
  return { deployment: 'd', arrivedAtMs, outcome, status: 200, clientRequestId: key, n: 1, prompt: key, latencyMs: 100, isScripted: false, requestId: `r-${key}-${arrivedAtMs}` };
}

function stored(key: string, bytes: number): ImageRecord {
  return {
    key,
    batchId: 'b',
    requestId: key.slice(2, -2),
    variant: 0,
    status: 'stored',
    prompt: key,
    model: 'm',
    size: 's',
    quality: 'q',
    deployment: 'd',
    latencyMs: 1,
    attempts: 1,
    location: `/out/${key}.png`,
    sizeBytes: bytes,
    createdAt: '2025-01-01T00:00:00Z',
  };
}

function evidence(overrides: Partial<ChaosEvidence>): ChaosEvidence {
  return {
    imageKeys: [],
    calls: [],
    records: new Map(),
    files: [],
    tempFiles: 0,
    outcomes: new Map(),
    errors: {},
    kills: [],
    callers: new Map(),
    expectedBytes: (record) => new Uint8Array(record.sizeBytes ?? 0),
    ...overrides,
  };
}

describe('buildChaosReport', () => {
  it('counts an image without a record, outcome or reason as lost, and one failed with a reason as not lost', () => {
    const report = buildChaosReport(
      evidence({
        imageKeys: ['b/a-0', 'b/b-0', 'b/c-0'],
        outcomes: new Map([
          ['b/b-0', 'failed'],
          ['b/c-0', 'failed'],
        ]),
        errors: { 'b/b-0': 'failed after 5 attempts' },
      }),
    );
    expect(report).toMatchObject({ lost: 2, failedWithReason: 1, stored: 0 });
  });

  it('counts second successful calls as duplicates, and those whose first call\'s own worker was not killed before the next call as unexplained', () => {
    const report = buildChaosReport(
      evidence({
        imageKeys: ['b/a-0', 'b/b-0'],
        calls: [call('b/a-0', 1_000), call('b/a-0', 9_000), call('b/b-0', 20_000), call('b/b-0', 30_000), call('b/b-0', 40_000, 'error_500')],
        // Worker 1 made both first calls; worker 2 is killed while b's first call runs, worker 1 only after b's second.
        callers: new Map([
          ['r-b/a-0-1000', 1],
          ['r-b/b-0-20000', 1],
        ]),
        kills: [
          { atMs: 1_050, worker: 1 },
          { atMs: 20_050, worker: 2 },
          { atMs: 35_000, worker: 1 },
        ],
      }),
    );
    expect(report).toMatchObject({ duplicates: 2, unexplainedDuplicates: 1 });
    // The unexplained one is shown apart, with who called when (time of day, UTC).
    expect(report.examples.unexplained).toEqual(['b/b-0: 2 successful calls (worker 1 at 00:00:20.000, worker ? at 00:00:30.000), 1 not explained by a kill']);
    expect(report.examples.duplicates).toEqual(['b/a-0: 2 successful calls (worker 1 at 00:00:01.000, worker ? at 00:00:09.000)']);
  });

  it('explains a duplicate whose first call reached the simulator just after its worker was killed (the call was on its way through the proxy)', () => {
    const report = buildChaosReport(
      evidence({
        imageKeys: ['b/a-0'],
        calls: [call('b/a-0', 1_003), call('b/a-0', 9_000)],
        callers: new Map([['r-b/a-0-1003', 1]]),
        kills: [{ atMs: 1_000, worker: 1 }],
      }),
    );
    expect(report).toMatchObject({ duplicates: 1, unexplainedDuplicates: 0 });
  });

  it('counts a duplicate whose first call has no known caller as unexplained', () => {
    const report = buildChaosReport(
      evidence({ imageKeys: ['b/a-0'], calls: [call('b/a-0', 1_000), call('b/a-0', 9_000)], kills: [{ atMs: 1_050, worker: 1 }] }),
    );
    expect(report).toMatchObject({ duplicates: 1, unexplainedDuplicates: 1 });
  });

  it('counts a stored file that is missing, has another size or other bytes, and a file no record claims, as mismatches', () => {
    const records = new Map(['b/a-0', 'b/b-0', 'b/c-0', 'b/d-0'].map((key) => [key, stored(key, 3)]));
    const report = buildChaosReport(
      evidence({
        imageKeys: [...records.keys()],
        records,
        outcomes: new Map([...records.keys()].map((key) => [key, 'stored'])),
        files: [
          { path: '/out/b/a-0.png', bytes: new Uint8Array(3) },
          { path: '/out/b/b-0.png', bytes: new Uint8Array(4) },
          { path: '/out/b/c-0.png', bytes: new Uint8Array([1, 2, 3]) },
          { path: '/out/b/stray-0.png', bytes: new Uint8Array(3) },
        ],
      }),
    );
    expect(report).toMatchObject({ stored: 1, mismatch: 4 });
    expect(report.examples.mismatch.join('\n')).toMatch(/4 bytes[\s\S]*not the image made for its prompt[\s\S]*no such file[\s\S]*stray-0.png: no stored record/);
  });
});
