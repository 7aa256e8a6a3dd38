import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests each start their own queues on one shared redis-server;
    // two cores is the machine, so keep file parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});

// Vitest loads its config through a default export.
// eslint-disable-next-line no-restricted-syntax
export default config;
