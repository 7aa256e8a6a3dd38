/** The outcome of asking the window for a slot. */
export type RateDecision =
  | {
      readonly isAccepted: true;
      /** Slots left in the window after this call (the `x-ratelimit-remaining-requests` value). */
      readonly remaining: number;
    }
  | {
      readonly isAccepted: false;
      /** Time until the oldest accepted call leaves the window and frees a slot. */
      readonly retryAfterMs: number;
    };

export interface RateWindow {
  readonly capacity: number;
  readonly windowMs: number;
  /** Takes a slot at `nowMs` if one is free; a refused call takes nothing. */
  tryAcquire(nowMs: number): RateDecision;
  /** Slots free at `nowMs`, without taking one. */
  remaining(nowMs: number): number;
  /** Forgets every accepted call. */
  clear(): void;
}

export interface RateWindowOptions {
  /** The deployment's quota in requests per minute. */
  readonly ratePerMinute: number;
  /** Window length (Azure: 10 000 ms). */
  readonly windowMs: number;
}

/**
 * The capacity Azure gives a deployment per window: RPM scaled to the window, at least 1.
 * With the 10 s window this is `max(1, floor(rpm / 6))`, as in Microsoft's own API simulator.
 */
export function windowCapacity(ratePerMinute: number, windowMs: number): number {
  return Math.max(1, Math.floor((ratePerMinute * windowMs) / 60_000));
}

/**
 * A sliding log of accepted calls. Azure evaluates RPM over short windows, so a burst of a
 * minute's quota is throttled even when the per-minute total is within limits.
 */
export function createRateWindow(options: RateWindowOptions): RateWindow {
  const capacity = windowCapacity(options.ratePerMinute, options.windowMs);
  const { windowMs } = options;
  // Arrival times of accepted calls, oldest first.
  let accepted: number[] = [];

  const evict = (nowMs: number): void => {
    const firstLive = accepted.findIndex((t) => t > nowMs - windowMs);
    accepted = firstLive === -1 ? [] : accepted.slice(firstLive);
  };

  return {
    capacity,
    windowMs,
    tryAcquire(nowMs) {
      evict(nowMs);
      const oldest = accepted[0];
      if (accepted.length >= capacity && oldest !== undefined) {
        return { isAccepted: false, retryAfterMs: Math.max(1, oldest + windowMs - nowMs) };
      }
      accepted.push(nowMs);
      return { isAccepted: true, remaining: capacity - accepted.length };
    },
    remaining(nowMs) {
      evict(nowMs);
      return capacity - accepted.length;
    },
    clear() {
      accepted = [];
    },
  };
}
