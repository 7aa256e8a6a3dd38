import { defineConfig } from 'vitest/config';

/**
 * Integration tests that measure time against a rate limit (calls per window, waits after a
 * 429) while spawning worker processes run one file at a time: on a two-core machine, files
 * side by side starve each other's timers. Unit tests, the deployment tests (a package install,
 * an image build) and the command-line tests that wait only for states (exit codes, output,
 * resume after a stop) run first, two files at a time.
 */
const SIDE_BY_SIDE = [
  'test/unit/**/*.test.ts',
  'test/integration/deploy/**/*.test.ts',
  'test/integration/cli/command-line.test.ts',
  'test/integration/cli/batch-commands.test.ts',
];

export const config = defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'side-by-side', include: SIDE_BY_SIDE, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'one-at-a-time', include: ['test/integration/**/*.test.ts'], exclude: SIDE_BY_SIDE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});

// Vitest loads its config through a default export.
// eslint-disable-next-line no-restricted-syntax
export default config;
