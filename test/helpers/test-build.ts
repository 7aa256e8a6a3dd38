import { execFile } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Where the run's own build of src goes (ignored by git), beside dist/ so `../../package.json` resolves the same. */
export const TEST_BUILD_DIR = '.test-build';

/**
 * Builds src once for the run, as `npm run build` does but into TEST_BUILD_DIR: the tests that
 * start `imgbatch` in a process of its own start the built JavaScript, not src through tsx,
 * which spent about 0.7 s of CPU per process compiling the same sources again (1.7 s against
 * 1.0 s for `--version`, 2026-12-06). A folder of its own, so the package test's `npm pack`
 * (which builds dist/) cannot change it under a running test. Returns the CLI's entry point.
 */
export async function buildForTests(root: string): Promise<string> {
  const out = join(root, TEST_BUILD_DIR);
  await rm(out, { recursive: true, force: true });
  // Compiled without type checking or declarations (`npm run typecheck` checks the same sources):
  // the same JavaScript in a third of tsc's CPU, before any test can start a process.
  const tsc = [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--noCheck', '--declaration', 'false'];
  await promisify(execFile)(process.execPath, tsc, { cwd: root });
  // The Lua scripts are read beside the modules that load them, and the file thread's body
  // (plain JavaScript) is started from beside its module: what `npm run build:assets` copies.
  await cp(join(root, 'src'), out, { recursive: true, filter: (path) => !/\.[a-z]+$/.test(path) || path.endsWith('.lua') || path.endsWith('.mjs') });
  return join(out, 'cli', 'main.js');
}
