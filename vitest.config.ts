import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Many integration tests measure time against a rate limit (calls per window, waits after
    // a 429) while spawning worker processes; on a two-core machine, files running side by side
    // starve each other's timers. One file at a time keeps those measurements honest.
    fileParallelism: false,
    pool: 'forks',
  },
});

// Vitest loads its config through a default export.
// eslint-disable-next-line no-restricted-syntax
export default config;
