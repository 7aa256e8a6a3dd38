import { DEFAULT_WORKER_SETTINGS } from '../../src/config/load-config.js';

/**
 * The longest one image call may take, in seconds: the project's ceiling for per-model call
 * timeouts is 600 s, and no configured default may exceed it. Deployment files give workers a
 * grace period at least this long, so a stop never cuts off a paid call. (When the per-model
 * timeouts land with an exported ceiling, read it here instead of the 600.)
 */
export const LONGEST_CALL_TIMEOUT_S = Math.max(600, DEFAULT_WORKER_SETTINGS.timeoutMs / 1000);
