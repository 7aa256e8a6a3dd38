import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPOOL_MAX_BYTES, DEFAULT_STORE_PROBE_MS, loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/imgbatch-error.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgbatch-spool-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadWorker(yaml: string): ReturnType<typeof loadConfig>['worker'] {
  writeFileSync(join(dir, 'config.yaml'), yaml);
  return loadConfig({ env: { IMGBATCH_CONFIG: 'config.yaml' }, cwd: dir }).worker;
}

function refusal(yaml: string): string {
  try {
    loadWorker(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('the spool and the store probe in the worker config', () => {
  it('default to a 1 GiB spool in the temp folder (chosen by the worker) and a probe every 5 s', () => {
    const worker = loadConfig({ env: {}, cwd: dir }).worker;
    expect(worker).toMatchObject({ spoolMaxBytes: DEFAULT_SPOOL_MAX_BYTES, storeProbeMs: DEFAULT_STORE_PROBE_MS });
    expect(DEFAULT_SPOOL_MAX_BYTES).toBe(1024 ** 3);
    expect(worker.spoolDir).toBeUndefined();
  });

  it('take a spool folder relative to the working folder, a cap and a probe interval', () => {
    expect(loadWorker('worker:\n  spoolDir: spool/here\n  spoolMaxBytes: 1048576\n  storeProbeMs: 2000\n')).toMatchObject({
      spoolDir: join(dir, 'spool/here'),
      spoolMaxBytes: 1_048_576,
      storeProbeMs: 2_000,
    });
  });

  it.each([
    ['an empty spool folder', 'worker:\n  spoolDir: ""\n', 'worker.spoolDir: must name a folder'],
    ['a negative cap', 'worker:\n  spoolMaxBytes: -1\n', 'worker.spoolMaxBytes: must be 0 or more'],
    ['a cap in fractions of a byte', 'worker:\n  spoolMaxBytes: 1.5\n', 'worker.spoolMaxBytes: must be a whole number of bytes'],
    ['a probe more often than every 100 ms', 'worker:\n  storeProbeMs: 10\n', 'worker.storeProbeMs: must be at least 100'],
  ])('refuse %s, naming the setting', (_, yaml, message) => {
    expect(refusal(yaml)).toContain(message);
  });
});
