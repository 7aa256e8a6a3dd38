import { describe, expect, it } from 'vitest';
import { createAuthFailureLimiter } from '../../../src/http/create-auth-failure-limiter.js';

const T0 = 1_800_000_000_000;

describe('createAuthFailureLimiter', () => {
  it('lets a client fail failuresPerMinute times in a row, then once per 60/failuresPerMinute s', () => {
    const limiter = createAuthFailureLimiter({ failuresPerMinute: 6 });
    for (let i = 0; i < 6; i++) {
      expect(limiter.retryAfterMs('203.0.113.7', T0)).toBe(0);
      limiter.recordFailure('203.0.113.7', T0);
    }
    expect(limiter.retryAfterMs('203.0.113.7', T0)).toBe(10_000);
    expect(limiter.retryAfterMs('203.0.113.7', T0 + 4_000)).toBe(6_000);
    expect(limiter.retryAfterMs('203.0.113.7', T0 + 10_000)).toBe(0);
    limiter.recordFailure('203.0.113.7', T0 + 10_000);
    expect(limiter.retryAfterMs('203.0.113.7', T0 + 10_000)).toBe(10_000);
    // A minute without failures gives the whole burst back, and no more.
    expect(limiter.retryAfterMs('203.0.113.7', T0 + 600_000)).toBe(0);
  });

  it('counts each client apart; an IPv4-mapped address as its IPv4, and an IPv6 address by its /64', () => {
    const limiter = createAuthFailureLimiter({ failuresPerMinute: 1 });
    limiter.recordFailure('::ffff:198.51.100.1', T0);
    expect(limiter.retryAfterMs('198.51.100.1', T0)).toBe(60_000);
    expect(limiter.retryAfterMs('198.51.100.2', T0)).toBe(0);

    limiter.recordFailure('2001:db8:1:2::1', T0);
    expect(limiter.retryAfterMs('2001:db8:1:2:ffff:ffff:ffff:ffff', T0)).toBe(60_000);
    expect(limiter.retryAfterMs('2001:0db8:0001:0002:0:0:0:9', T0)).toBe(60_000);
    expect(limiter.retryAfterMs('2001:db8:1:3::1', T0)).toBe(0);
  });

  it('forgets the client that failed longest ago once it remembers maxClients', () => {
    const limiter = createAuthFailureLimiter({ failuresPerMinute: 1, maxClients: 2 });
    limiter.recordFailure('192.0.2.1', T0);
    limiter.recordFailure('192.0.2.2', T0 + 1);
    limiter.recordFailure('192.0.2.1', T0 + 2);
    limiter.recordFailure('192.0.2.3', T0 + 3);
    expect(limiter.retryAfterMs('192.0.2.2', T0 + 3)).toBe(0);
    expect(limiter.retryAfterMs('192.0.2.1', T0 + 3)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('192.0.2.3', T0 + 3)).toBeGreaterThan(0);
  });

  it('refuses a rate that is not a whole number of failures', () => {
    expect(() => createAuthFailureLimiter({ failuresPerMinute: 0 })).toThrow(RangeError);
    expect(() => createAuthFailureLimiter({ failuresPerMinute: 2.5 })).toThrow(RangeError);
  });
});
