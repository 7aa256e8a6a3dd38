import { describe, expect, it } from 'vitest';
import { createRateWindow, windowCapacity } from '../../../src/simulator/rate-window.js';

describe('windowCapacity', () => {
  it('gives max(1, floor(rpm / 6)) for the 10 s window', () => {
    expect(windowCapacity(60, 10_000)).toBe(10);
    expect(windowCapacity(12, 10_000)).toBe(2);
    expect(windowCapacity(9, 10_000)).toBe(1);
    expect(windowCapacity(6, 10_000)).toBe(1);
    expect(windowCapacity(1, 10_000)).toBe(1);
  });
});

describe('createRateWindow', () => {
  it('accepts capacity calls in a window and refuses the next with the time until a slot frees', () => {
    const window = createRateWindow({ ratePerMinute: 12, windowMs: 10_000 });
    expect(window.tryAcquire(1_000)).toEqual({ isAccepted: true, remaining: 1 });
    expect(window.tryAcquire(4_000)).toEqual({ isAccepted: true, remaining: 0 });
    expect(window.tryAcquire(5_000)).toEqual({ isAccepted: false, retryAfterMs: 6_000 });
  });

  it('frees a slot exactly windowMs after the oldest accepted call', () => {
    const window = createRateWindow({ ratePerMinute: 6, windowMs: 10_000 });
    expect(window.tryAcquire(0).isAccepted).toBe(true);
    expect(window.tryAcquire(9_999)).toEqual({ isAccepted: false, retryAfterMs: 1 });
    expect(window.tryAcquire(10_000)).toEqual({ isAccepted: true, remaining: 0 });
  });

  it('does not count refused calls, so hammering a full window does not extend the wait', () => {
    const window = createRateWindow({ ratePerMinute: 6, windowMs: 10_000 });
    window.tryAcquire(0);
    for (let t = 1_000; t < 10_000; t += 1_000) expect(window.tryAcquire(t).isAccepted).toBe(false);
    expect(window.tryAcquire(10_000).isAccepted).toBe(true);
  });

  it('slides: the window holds the calls of the last windowMs, not of a fixed bucket', () => {
    const window = createRateWindow({ ratePerMinute: 12, windowMs: 10_000 });
    window.tryAcquire(0);
    window.tryAcquire(8_000);
    expect(window.tryAcquire(10_000)).toEqual({ isAccepted: true, remaining: 0 });
    expect(window.tryAcquire(12_000)).toEqual({ isAccepted: false, retryAfterMs: 6_000 });
    expect(window.remaining(18_000)).toBe(1);
  });

  it('forgets everything on clear', () => {
    const window = createRateWindow({ ratePerMinute: 6, windowMs: 10_000 });
    window.tryAcquire(0);
    window.clear();
    expect(window.tryAcquire(1).isAccepted).toBe(true);
  });
});
