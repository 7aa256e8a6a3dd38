import type { Config } from '../config/config.js';
import { createKeySpace } from '../queue/key-space.js';
import type { RedisClient } from '../queue/redis-connection.js';
import { deploymentStatus, type DeploymentStatus } from './deployment-status.js';
import { createSlotLimiter } from './slot-limiter.js';

/** The configured deployments' state, and the switches every worker obeys. */
export interface DeploymentControls {
  /** Each configured deployment's limiter state, in the config's order. */
  statuses(): Promise<DeploymentStatus[]>;
  /** Stops every worker calling the deployment until it is resumed; false when no deployment of that name is configured. */
  pause(name: string, reason: string): Promise<boolean>;
  /** Lets workers call a paused deployment again; false when no deployment of that name is configured. */
  resume(name: string): Promise<boolean>;
}

/** What `imgbatch status` and `imgbatch deployments` read and do, for the dashboard. */
export function createDeploymentControls(redis: RedisClient, config: Pick<Config, 'deployments' | 'redisPrefix' | 'limiter' | 'models'>): DeploymentControls {
  const limiter = createSlotLimiter(redis, createKeySpace(config.redisPrefix), config.limiter);
  const isConfigured = (name: string): boolean => config.deployments.some((d) => d.name === name);
  return {
    async statuses() {
      const nowMs = Date.now();
      return Promise.all(config.deployments.map(async (d) => deploymentStatus(d, await limiter.state(d.name), nowMs, config.models)));
    },
    async pause(name, reason) {
      if (!isConfigured(name)) return false;
      await limiter.pause(name, reason);
      return true;
    },
    async resume(name) {
      if (!isConfigured(name)) return false;
      await limiter.resume(name);
      return true;
    },
  };
}
