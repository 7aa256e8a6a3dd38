import { formatDuration } from './format-duration.js';
import type { StoreBreakerState } from '../storage/store-breaker.js';
import { describeStorePause } from '../storage/store-guard.js';
import type { StoreUnwritableCode } from '../storage/store-write-failure.js';

/** The store as `imgbatch status` shows it (and prints with --json). */
export interface StoreStatus {
  /** `ok`, or `paused`: the store breaker is open and no call starts. */
  readonly state: 'ok' | 'paused';
  readonly code?: StoreUnwritableCode;
  /** Why, as the first failed write reported it. */
  readonly reason?: string;
  /** When the breaker opened (ISO time) and which worker's write failed. */
  readonly pausedAt?: string;
  readonly pausedBy?: string;
  /** Paid images kept in the workers' spools, not yet in the store. */
  readonly spooledImages: number;
}

export function storeStatus(breaker: StoreBreakerState, spooledImages: number): StoreStatus {
  if (breaker.kind === 'closed') return { state: 'ok', spooledImages };
  return {
    state: 'paused',
    code: breaker.code,
    reason: describeStorePause(breaker.code, breaker.message),
    pausedAt: new Date(breaker.openedAt).toISOString(),
    pausedBy: breaker.openedBy,
    spooledImages,
  };
}

/** One line (two when paused) for the text output of `status`. */
export function formatStoreStatus(status: StoreStatus, nowMs: number): string {
  const spooled = status.spooledImages === 0 ? '' : `; ${status.spooledImages} paid image(s) wait in worker spools`;
  if (status.state === 'ok') return `store: ok${spooled === '' ? '' : `${spooled}, being written`}`;
  const forMs = status.pausedAt === undefined ? 0 : Math.max(0, nowMs - Date.parse(status.pausedAt));
  return (
    `store: PAUSED for ${formatDuration(forMs)} (since ${status.pausedAt ?? '?'}, first failed write on ${status.pausedBy ?? '?'}): ${status.reason ?? ''}${spooled}\n` +
    '  no call starts while the store cannot be written; it resumes by itself once a probe write succeeds: free space, fix the rights, or bring the store back'
  );
}
