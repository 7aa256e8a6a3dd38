import type { WorkerSettings } from '../config/config.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import type { ModelCatalogue } from '../models/model-catalogue.js';
import { expectedLatencyOf } from './call-timeout.js';

/** The derived lock is never shorter than BullMQ's default. */
export const MIN_DERIVED_LOCK_MS = 30_000;
/**
 * Nor longer than this: a crashed worker's jobs wait out the lock (plus `stalledIntervalMs`)
 * before another worker takes them up. Those with a call in flight wait anyway for the call's
 * deadline (300 s and more), so only jobs between calls wait longer than they would.
 */
export const MAX_DERIVED_LOCK_MS = 120_000;

/**
 * A job's lock duration, ms: `worker.lockDurationMs` when set, else twice the longest expected
 * call latency of the deployments (their `expectedLatencyMs`, else their models'), between
 * MIN_DERIVED_LOCK_MS and MAX_DERIVED_LOCK_MS. BullMQ renews a lock while the job runs, three
 * Redis commands each time (see lockRenewTimeOf): with 30 s, a 60 s call renewed its lock about
 * five times (15 commands); with 120 s, about once.
 */
export function lockDurationOf(
  settings: Pick<WorkerSettings, 'lockDurationMs'>,
  deployments: ReadonlyArray<Pick<DeploymentConfig, 'model' | 'expectedLatencyMs'>>,
  models: ModelCatalogue,
): number {
  if (settings.lockDurationMs !== undefined) return settings.lockDurationMs;
  const longestMs = deployments.reduce((longest, deployment) => Math.max(longest, expectedLatencyOf(deployment, models)), 0);
  return Math.min(MAX_DERIVED_LOCK_MS, Math.max(MIN_DERIVED_LOCK_MS, 2 * longestMs));
}

/** A lock is never renewed with less than this left (or half of it, for a lock under a minute). */
export const LOCK_RENEWAL_MARGIN_MS = 30_000;

/**
 * BullMQ's lockRenewTime for a lock of `lockDurationMs`: the lock's duration less
 * LOCK_RENEWAL_MARGIN_MS, and at least half of it (BullMQ's default). BullMQ looks at its locks
 * every half of lockRenewTime and renews those last renewed more than half of it ago, so a lock
 * is renewed with about `lockDurationMs - lockRenewTime` left at the least (less the timer's lag
 * and the renewal's round trip): 30 s of a 120 s lock (twice the margin of BullMQ's defaults,
 * 15 s of 30 s), half of a shorter one. At half of 120 s, a
 * job held about 75 s (a 60 s call and its wait for a slot) was renewed 1.2 times: 3.7 Redis
 * commands per image in bench:scale's A.
 */
export function lockRenewTimeOf(lockDurationMs: number): number {
  return Math.max(1, Math.floor(lockDurationMs / 2), lockDurationMs - LOCK_RENEWAL_MARGIN_MS);
}
