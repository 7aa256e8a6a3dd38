import type { Config } from '../config/config.js';
import { createSlotLimiter } from '../limiter/slot-limiter.js';
import { createKeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { deploymentStatus, type DeploymentStatus } from './format-deployment-status.js';

/** Each configured deployment's limiter state, as `status` and `deployments list` show it. */
export async function readDeploymentStatuses(redis: RedisClient, config: Pick<Config, 'deployments' | 'redisPrefix' | 'limiter' | 'models'>): Promise<DeploymentStatus[]> {
  const limiter = createSlotLimiter(redis, createKeySpace(config.redisPrefix), config.limiter);
  const now = Date.now();
  return Promise.all(config.deployments.map(async (d) => deploymentStatus(d, await limiter.state(d.name), now, config.models)));
}
