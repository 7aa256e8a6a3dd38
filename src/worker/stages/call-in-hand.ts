import type { DeploymentConfig } from '../../config/deployment-config.js';
import type { ExpectedCost } from '../../cost/expected-call-cost.js';
import type { JobCounters } from '../../queue/job-state.js';
import type { PricedCallOf } from './price-call.js';

/** The call a job made this run, as the stages after it need it. */
export interface CallInHand {
  readonly target: DeploymentConfig;
  /** The job's counters as counted for this call. */
  readonly counters: JobCounters;
  readonly callId: string;
  /** When the call stops being open, by this worker's clock (its start plus its timeout, or later). */
  readonly openUntilMs: number;
  /** The variants it asked for. */
  readonly pending: readonly number[];
  readonly priced: PricedCallOf;
  readonly expected: ExpectedCost;
}
