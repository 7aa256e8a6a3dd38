import type { Config } from '../config/config.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { createDeploymentControls } from './deployment-controls.js';
import type { DeploymentStatus } from './deployment-status.js';

/** Each configured deployment's limiter state, as `status`, `deployments list` and the dashboard show it. */
export async function readDeploymentStatuses(redis: RedisClient, config: Pick<Config, 'deployments' | 'redisPrefix' | 'limiter' | 'models'>): Promise<DeploymentStatus[]> {
  return createDeploymentControls(redis, config).statuses();
}
