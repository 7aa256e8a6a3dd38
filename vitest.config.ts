import { defineConfig } from 'vitest/config';

/**
 * Integration tests that measure time against a rate limit (calls per window, waits after a
 * 429, a cold start's first calls) or spawn worker processes that share one quota run one file
 * at a time: on a two-core machine, files side by side starve each other's timers. Everything
 * that waits only for states (outcomes, exit codes, output, HTTP answers, files) runs first,
 * two files at a time: unit tests, the deployment tests (a package install, an image build),
 * the command line, the HTTP API, storage, webhooks, schedules, batches, the browser, security.
 */
const SIDE_BY_SIDE = [
  'test/unit/**/*.test.ts',
  'test/integration/deploy/**/*.test.ts',
  'test/integration/cli/**/*.test.ts',
  'test/integration/http/**/*.test.ts',
  'test/integration/storage/**/*.test.ts',
  'test/integration/webhooks/**/*.test.ts',
  'test/integration/schedule/**/*.test.ts',
  'test/integration/batch/**/*.test.ts',
  'test/integration/browser/**/*.test.ts',
  'test/integration/security/**/*.test.ts',
  'test/integration/client/**/*.test.ts',
  'test/integration/contract/**/*.test.ts',
  'test/integration/net/**/*.test.ts',
  'test/integration/inputs/**/*.test.ts',
  'test/integration/fuzz/**/*.test.ts',
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
