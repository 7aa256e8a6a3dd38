import type { Logger } from '../../log/logger.js';
import { bookkeepingDelayMs } from '../retry-policy.js';

export interface BookkeepingDeps {
  readonly logger: Logger;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Runs one piece of Redis bookkeeping that follows a call (settling its cost, recording an
 * outcome, clearing the job's state) and tries it again while Redis refuses (READONLY after a
 * failover, OOM under noeviction, NOPERM), on the schedule of `bookkeepingDelayMs`. The image
 * is kept before any of this runs, so waiting here costs time, never a second call.
 */
export async function retryBookkeeping<T>(deps: BookkeepingDeps, what: string, operation: () => Promise<T>): Promise<T> {
  for (let failures = 1; ; failures++) {
    try {
      return await operation();
    } catch (error) {
      const delayMs = bookkeepingDelayMs(failures);
      if (delayMs === undefined) throw error;
      deps.logger.warn({ err: error, what, failures, delayMs }, 'redis bookkeeping failed after a call; trying again');
      await deps.sleep(delayMs);
    }
  }
}
