import type { TestProject } from 'vitest/node';
import { startAzurite, startRedisServer } from './services.js';
import { buildForTests } from './test-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    azuriteConnectionString: string;
    /** The CLI's entry point in the run's own build (buildForTests), for tests that start `imgbatch` processes. */
    cliEntry: string;
  }
}

/** One private redis-server and one Azurite for the whole run; tests isolate by key prefix. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const building = buildForTests(process.cwd());
  const redis = await startRedisServer();
  const azurite = await startAzurite().catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  const cliEntry = await building.catch(async (error: unknown) => {
    await Promise.all([redis.stop(), azurite.stop()]);
    throw error;
  });
  project.provide('cliEntry', cliEntry);
  project.provide('redisUrl', `redis://127.0.0.1:${redis.port}`);
  project.provide('azuriteConnectionString', azurite.connectionString);
  return async () => {
    await Promise.all([redis.stop(), azurite.stop()]);
  };
}
