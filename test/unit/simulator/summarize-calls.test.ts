import { describe, expect, it } from 'vitest';
import type { CallOutcome, CallRecord } from '../../../src/simulator/call-stats.js';
import { summarizeCalls } from '../../../src/simulator/summarize-calls.js';

function call(deployment: string, arrivedAtMs: number, outcome: CallOutcome): CallRecord {
  return {
    deployment,
    arrivedAtMs,
    outcome,
    status: 200,
    clientRequestId: null,
    n: 1,
    prompt: 'p',
    latencyMs: 0,
    isScripted: false,
    requestId: 'r',
  };
}

describe('summarizeCalls', () => {
  it('counts by deployment and outcome', () => {
    const summary = summarizeCalls([call('a', 0, 'ok'), call('a', 1, 'rate_limited'), call('b', 2, 'ok'), call('a', 3, 'ok')]);
    expect(summary.total).toBe(4);
    expect(summary.byOutcome).toEqual({ ok: 3, rate_limited: 1 });
    expect(summary.byDeployment['a']).toMatchObject({ total: 3, byOutcome: { ok: 2, rate_limited: 1 } });
    expect(summary.byDeployment['b']).toMatchObject({ total: 1, byOutcome: { ok: 1 } });
  });

  it('finds the densest 10 s window of counted calls per deployment', () => {
    const calls = [
      call('a', 0, 'ok'),
      call('a', 5_000, 'filtered_prompt'),
      call('a', 9_999, 'partial'),
      // Out of the first window by 1 ms: the window is half-open, as the simulator's limiter.
      call('a', 10_000, 'filtered_output'),
      call('a', 10_001, 'rate_limited'),
      call('a', 10_002, 'error_500'),
    ];
    expect(summarizeCalls(calls).byDeployment['a']?.maxAcceptedPerWindow).toBe(3);
  });

  it('does not count refused calls as accepted', () => {
    const calls = [call('a', 0, 'ok'), call('a', 1, 'rate_limited'), call('a', 2, 'invalid'), call('a', 3, 'unauthorized')];
    expect(summarizeCalls(calls).byDeployment['a']?.maxAcceptedPerWindow).toBe(1);
  });

  it('takes the window length as a parameter and sorts arrival times first', () => {
    const calls = [call('a', 2_500, 'ok'), call('a', 0, 'ok'), call('a', 900, 'ok')];
    expect(summarizeCalls(calls, 1_000).byDeployment['a']?.maxAcceptedPerWindow).toBe(2);
  });

  it('keeps a deployment called __proto__ as an ordinary key', () => {
    const summary = summarizeCalls([call('__proto__', 0, 'not_found')]);
    expect(Object.keys(summary.byDeployment)).toEqual(['__proto__']);
  });
});
