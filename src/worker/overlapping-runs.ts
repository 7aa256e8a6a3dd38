/**
 * Two runs of one job in one process: after a Redis pause longer than the job lock, BullMQ's
 * stalled check hands the job back to the queue while its first run still lives (waiting for its
 * call, or for its slot), and this process may fetch it again. BullMQ renews locks by job id
 * (its LockManager keeps one token per id): when the older run ends, BullMQ stops renewing the
 * job's lock altogether, and the newer run, which holds it now, would lose it a lock duration
 * later: the job stalls a second time (and a third ends it, giveUpStalledJob), its call in
 * flight handed to yet another run. So once an older run of a job ends while a newer one runs,
 * this renews the newer run's lock itself (Job.extendLock, with its own token) until it ends.
 */

/** What renewing a run's lock needs: BullMQ's Job.extendLock, bound to the job. */
export interface RenewableRun {
  readonly jobId: string;
  readonly token: string;
  /** Extends the job's lock if it is still `token`'s (BullMQ: 1 when extended, 0 when not). */
  extendLock(token: string, durationMs: number): Promise<number>;
}

export interface OverlappingRuns {
  /** A run of a job starts; returns what to call when it ends. */
  begin(run: RenewableRun): () => void;
}

export interface OverlappingRunsOptions {
  readonly lockDurationMs: number;
  /** How often a lock is renewed, ms (half of BullMQ's lockRenewTime: as often as BullMQ looks). */
  readonly renewEveryMs: number;
  /** A renewal Redis refused (the lock is not the run's: no more renewals) or did not answer (tried again on the rhythm). */
  readonly onRenewalFailed: (jobId: string, error?: unknown) => void;
}

interface LiveRun {
  readonly run: RenewableRun;
  renewal?: NodeJS.Timeout;
}

export function createOverlappingRuns(options: OverlappingRunsOptions): OverlappingRuns {
  const liveByJob = new Map<string, LiveRun[]>();
  // A lock that is no longer the run's is not renewed again: the run finds it gone at its call.
  const stopRenewing = (live: LiveRun): void => {
    if (live.renewal !== undefined) clearInterval(live.renewal);
  };
  const renew = (live: LiveRun): void => {
    live.run.extendLock(live.run.token, options.lockDurationMs).then(
      (extended) => {
        if (extended === 1) return;
        stopRenewing(live);
        options.onRenewalFailed(live.run.jobId);
      },
      (error: unknown) => {
        options.onRenewalFailed(live.run.jobId, error);
      },
    );
  };
  return {
    begin(run) {
      const live: LiveRun = { run };
      const runs = liveByJob.get(run.jobId) ?? [];
      runs.push(live);
      liveByJob.set(run.jobId, runs);
      return () => {
        stopRenewing(live);
        const left = (liveByJob.get(run.jobId) ?? []).filter((other) => other !== live);
        if (left.length === 0) {
          liveByJob.delete(run.jobId);
          return;
        }
        liveByJob.set(run.jobId, left);
        // BullMQ forgets the job's lock when this run returns: the newest run, the one that
        // fetched the job last and so holds its lock, is renewed from here, at once (BullMQ's
        // last renewal may be most of a lock duration old) and then on BullMQ's rhythm.
        const newest = left[left.length - 1];
        if (newest === undefined || newest.renewal !== undefined) return;
        renew(newest);
        newest.renewal = setInterval(() => {
          renew(newest);
        }, options.renewEveryMs);
        newest.renewal.unref();
      };
    },
  };
}
