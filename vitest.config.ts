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

/**
 * The deployment tests that build something (the container image with buildah, the npm package
 * with npm pack and install): minutes of CPU and disk each, waiting for nothing but themselves.
 * They run beside the one-at-a-time files, on the core those leave idle most of the time, with
 * their build tools at a low CPU priority (nice) so they never delay a timer there; side by side
 * with the other files they took a core from them for three minutes.
 */
const BUILDS = ['test/integration/deploy/container-image.test.ts', 'test/integration/deploy/npm-package.test.ts'];

export const config = defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'side-by-side', include: SIDE_BY_SIDE, exclude: BUILDS, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'one-at-a-time', include: ['test/integration/**/*.test.ts'], exclude: SIDE_BY_SIDE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'builds', include: BUILDS, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});

// Vitest loads its config through a default export.
// eslint-disable-next-line no-restricted-syntax
export default config;
