import { describe, expect, it } from 'vitest';
import { attributeCalls, type UnansweredForward } from '../../../scripts/chaos/attribute-calls.js';
import type { CallRecord } from '../../../src/simulator/call-stats.js';

function call(key: string, arrivedAtMs: number, requestId: string): CallRecord {
  return { deployment: 'd', arrivedAtMs, outcome: 'ok', status: 200, clientRequestId: key, n: 1, prompt: key, latencyMs: 50, isScripted: false, requestId };
}

function forward(worker: number, key: string, sentAtMs: number, endedAtMs: number): UnansweredForward {
  return { worker, clientRequestId: key, sentAtMs, endedAtMs };
}

describe('attributeCalls', () => {
  it('names the worker of a call killed mid-call by its unanswered forward of the same key around the call\'s arrival', () => {
    const callers = attributeCalls(
      [call('b/a-0', 1_002, 'answered'), call('b/b-0', 2_001, 'killed-mid-call'), call('b/b-0', 9_000, 'later')],
      new Map([['answered', 1]]),
      [forward(2, 'b/b-0', 2_000, 2_030), forward(3, 'b/b-0', 5_000, 5_010)],
    );
    expect(Object.fromEntries(callers)).toEqual({ answered: 1, 'killed-mid-call': 2 });
  });

  it('names a call the simulator read a moment after the proxy let go of it', () => {
    const callers = attributeCalls([call('b/a-0', 2_040, 'late-read')], new Map(), [forward(2, 'b/a-0', 2_000, 2_030)]);
    expect(callers.get('late-read')).toBe(2);
  });

  it('leaves a call unknown when two workers had its key in flight at once', () => {
    const callers = attributeCalls([call('b/a-0', 2_005, 'overlap')], new Map(), [forward(2, 'b/a-0', 2_000, 2_030), forward(3, 'b/a-0', 2_001, 2_020)]);
    expect(callers.has('overlap')).toBe(false);
  });
});
