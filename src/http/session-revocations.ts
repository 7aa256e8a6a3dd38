/** Browser sessions ended before their cookie expires (sign-out), by session id. */
export interface SessionRevocations {
  /** Notes that session `id` has ended; it is remembered until `expiresAtMs`, after which its cookie is refused anyway. */
  revoke(id: string, expiresAtMs: number): Promise<void>;
  /** Whether session `id` has ended. */
  isRevoked(id: string): Promise<boolean>;
}

/**
 * Revocations kept in this process: right for one API process, but another replica, or this
 * one after a restart, still takes a signed-out cookie until it expires. `imgbatch serve`
 * keeps them in Redis instead (createRedisSessionRevocations).
 */
export function createMemorySessionRevocations(nowMs: () => number = Date.now): SessionRevocations {
  const revoked = new Map<string, number>();
  return {
    revoke(id, expiresAtMs) {
      const now = nowMs();
      for (const [other, until] of revoked) if (until <= now) revoked.delete(other);
      if (expiresAtMs > now) revoked.set(id, expiresAtMs);
      return Promise.resolve();
    },
    isRevoked(id) {
      return Promise.resolve((revoked.get(id) ?? 0) > nowMs());
    },
  };
}
