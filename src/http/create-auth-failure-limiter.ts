export interface AuthFailureLimiterOptions {
  /** Failed authentications one client may make per minute, and at most in a burst. Required. */
  readonly failuresPerMinute: number;
  /** Clients remembered at once; past this the one that failed longest ago is forgotten; default 10000. */
  readonly maxClients?: number;
}

export interface AuthFailureLimiter {
  /** How long the client at `address` must wait before its credentials are checked again, ms; 0: now. */
  retryAfterMs(address: string, nowMs?: number): number;
  /** Counts a failed authentication of the client at `address`. */
  recordFailure(address: string, nowMs?: number): void;
}

interface Bucket {
  readonly tokens: number;
  readonly atMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The first 64 bits of an IPv6 address: one subscriber usually holds a whole /64 and can
 * pick any address in it, so counting per address would give one guesser 2^64 budgets.
 */
function ipv6Network(address: string): string {
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? [];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** Whom a failure is counted against: an IPv4 address (also when written IPv4-mapped), or an IPv6 /64. */
function clientKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  return address.includes(':') ? ipv6Network(address) : address;
}

/**
 * Per-client token buckets of failed authentications, in process: a client may fail
 * `failuresPerMinute` times in a row, then once per 60/failuresPerMinute s. Enough to make
 * guessing a 16+ character token by HTTP hopeless, and a burst of typos never locks anyone out
 * for long. Counts only failures: a client that signs in right spends nothing. Each API
 * replica counts on its own; with N replicas behind a balancer a guesser gets N budgets.
 */
export function createAuthFailureLimiter(options: AuthFailureLimiterOptions): AuthFailureLimiter {
  const capacity = options.failuresPerMinute;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`failuresPerMinute: ${capacity} is not a whole number ≥ 1`);
  const maxClients = options.maxClients ?? 10_000;
  const refillPerMs = capacity / MINUTE_MS;
  // Insertion order is failure order (a client is moved to the end when it fails), so the first key failed longest ago.
  const buckets = new Map<string, Bucket>();

  function tokensAt(key: string, nowMs: number): number {
    const bucket = buckets.get(key);
    if (bucket === undefined) return capacity;
    return Math.min(capacity, bucket.tokens + Math.max(0, nowMs - bucket.atMs) * refillPerMs);
  }

  return {
    retryAfterMs(address, nowMs = Date.now()) {
      const tokens = tokensAt(clientKey(address), nowMs);
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / refillPerMs);
    },

    recordFailure(address, nowMs = Date.now()) {
      const key = clientKey(address);
      const tokens = Math.max(0, tokensAt(key, nowMs) - 1);
      buckets.delete(key);
      buckets.set(key, { tokens, atMs: nowMs });
      if (buckets.size > maxClients) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
    },
  };
}
