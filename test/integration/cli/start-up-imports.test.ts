import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imgbatchCommand } from '../../helpers/run-cli.js';

const RECORDER = join(process.cwd(), 'test', 'fixtures', 'record-packages.ts');

/** The npm packages `imgbatch <args>` loaded, as the recorder hook saw them resolved. */
async function packagesLoadedBy(dir: string, args: string[]): Promise<string[]> {
  const out = join(dir, `${args.join('-').replace(/[^a-z]/g, '')}.txt`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RECORDER, ...imgbatchCommand(...args)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', RECORD_PACKAGES_TO: out },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  expect(code).toBe(0);
  return (await readFile(out, 'utf8')).split('\n').filter((name) => name !== '');
}

/**
 * A command loads what it uses, not every command's dependencies: the Azure SDKs (identity,
 * storage) and sharp take about a second of CPU to load, paid by every start of a worker, every
 * `status` and every script that calls the CLI. They load when a deployment calls with Entra ID,
 * the store is Blob, or an image is read.
 */
describe('what imgbatch loads at start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-imports-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--version loads the argument parser and nothing else', async () => {
    expect(await packagesLoadedBy(dir, ['--version'])).toEqual(['citty']);
  });

  it.each([['status'], ['batches'], ['cancel']])('%s loads neither the Azure SDKs, the OpenAI SDK nor sharp', async (command) => {
    const loaded = await packagesLoadedBy(dir, [command, '--help']);
    expect(loaded).toContain('bullmq');
    expect(loaded.filter((name) => name.startsWith('@azure/') || name === 'openai' || name === 'sharp' || name === 'fastify')).toEqual([]);
  });

  it.each([['run'], ['worker'], ['enqueue']])('%s loads no Azure SDK while no deployment uses Entra ID and the store is a folder', async (command) => {
    const loaded = await packagesLoadedBy(dir, [command, '--help']);
    expect(loaded).toContain('bullmq');
    expect(loaded.filter((name) => name.startsWith('@azure/'))).toEqual([]);
  });
});
