import type { Config } from '../config/config.js';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { DEFAULT_API_VERSION } from '../config/deployment-config.js';
import type { Logger } from '../log/logger.js';
import { createSimulator, type Simulator } from '../simulator/create-simulator.js';
import { demoSimulatorOptions } from '../simulator/demo-simulator-options.js';
import { openResultStore } from '../storage/open-result-store.js';
import type { ResultStore } from '../storage/result-store.js';
import { ensureRedis, type EnsuredRedis } from './ensure-redis.js';

/** The API key the embedded simulator accepts (a test value, not a secret). */
const SIMULATOR_API_KEY = 'sim-key';

export interface Runtime {
  readonly redis: EnsuredRedis;
  readonly deployments: readonly DeploymentConfig[];
  /** Present when no Azure settings were found and the embedded simulator stands in. */
  readonly simulator: Simulator | undefined;
  readonly store: ResultStore;
  close(): Promise<void>;
}

/** The simulator's deployments as the worker sees them: same names, rates and models. */
export function simulatorDeployments(simulator: Simulator): DeploymentConfig[] {
  return simulator.options.deployments.map((d) => ({
    name: d.name,
    endpoint: simulator.url,
    deployment: d.name,
    model: d.model,
    ratePerMinute: d.ratePerMinute,
    apiVersion: DEFAULT_API_VERSION,
    auth: { kind: 'api-key', apiKey: simulator.options.apiKeys[0] ?? SIMULATOR_API_KEY },
    quotaUnit: 'request',
    priority: 1,
    pools: [],
  }));
}

/**
 * Turns a Config into live resources for a self-contained run: a Redis (found or started),
 * the deployments (the embedded simulator's when no Azure settings exist), and the store.
 */
export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const redis = await ensureRedis(config.redisUrl);
  let simulator: Simulator | undefined;
  try {
    simulator = config.usesSimulator ? await createSimulator(demoSimulatorOptions(config.models, Date.now()), { models: config.models }) : undefined;
  } catch (error) {
    await redis.stop();
    throw error;
  }
  const store = await openResultStore(config.store, logger);
  return {
    redis,
    deployments: simulator === undefined ? config.deployments : simulatorDeployments(simulator),
    simulator,
    store,
    async close() {
      await store.close();
      await simulator?.close();
      await redis.stop();
    },
  };
}
