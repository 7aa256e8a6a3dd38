import type { TestProject } from 'vitest/node';
import { startAzurite, startRedisServer } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    azuriteConnectionString: string;
  }
}

/** One private redis-server and one Azurite for the whole run; tests isolate by key prefix. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  const azurite = await startAzurite().catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  project.provide('redisUrl', `redis://127.0.0.1:${redis.port}`);
  project.provide('azuriteConnectionString', azurite.connectionString);
  return async () => {
    await Promise.all([redis.stop(), azurite.stop()]);
  };
}
