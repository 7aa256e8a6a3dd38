import { MAX_CALL_TIMEOUT_MS } from '../../src/models/model-overrides.js';

/**
 * The longest one image call may take, in seconds: the ceiling of every call timeout, per model,
 * per deployment or worker-wide (600 s). Deployment files give workers a grace period at least
 * this long, so a stop never cuts off a paid call.
 */
export const LONGEST_CALL_TIMEOUT_S = MAX_CALL_TIMEOUT_MS / 1000;
