import { execFile } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBatchRegistry } from '../../../src/batch/batch-registry.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createSimulator, type Simulator } from '../../../src/simulator/create-simulator.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli, spawnCli, type CliResult } from '../../helpers/run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { writeWorkerConfig } from '../../helpers/worker-process.js';

const ESC = '\x1b';

/** The whole of stdout as one JSON value: JSON.parse throws on anything before or after it. */
function onlyJson(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('the imgbatch command line (in its own process)', () => {
  let redis: Redis;
  let dir: string;
  let simulator: Simulator;
  const prefix = uniquePrefix('cmdline');
  /** The embedded simulator (no Azure settings): what `imgbatch run` uses out of the box. */
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });
  /** A simulator this test owns and counts the calls of, as the configured Azure endpoint. */
  const azureEnv = (): Record<string, string> => ({
    ...env(),
    AZURE_OPENAI_ENDPOINT: simulator.url,
    AZURE_OPENAI_API_KEY: 'sim-key',
    AZURE_OPENAI_DEPLOYMENT_NAME: 'mini',
    IMGBATCH_MODEL: 'gpt-image-1-mini',
  });
  const known = async (keyPrefix: string, batchId: string): Promise<boolean> => (await createBatchRegistry(redis, createKeySpace(keyPrefix)).summary(batchId)).createdAt !== undefined;

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-cmdline-'));
    simulator = await createSimulator({ deployments: [{ name: 'mini', model: 'gpt-image-1-mini', ratePerMinute: 600 }] });
    await writeFile(join(dir, 'good.csv'), ['id,prompt,model', 'a,A kite,gpt-image-1-mini', 'b,A boat,gpt-image-1-mini'].join('\n'));
    await writeFile(join(dir, 'queued.csv'), ['id,prompt,model', 'q1,A lamp,gpt-image-1-mini', 'q2,A vase,gpt-image-1-mini'].join('\n'));
    await writeFile(join(dir, 'flaky.csv'), ['id,prompt,model', 'ok,A kite,gpt-image-1-mini', 'bad,A flaky-call boat,gpt-image-1-mini'].join('\n'));
    const rows = ['id,prompt,model'];
    for (let i = 0; i < 40; i++) rows.push(`i${i},Icon number ${i},gpt-image-1-mini`);
    await writeFile(join(dir, 'long.csv'), rows.join('\n'));
    await mkdir(join(dir, 'schedules'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, `${prefix}-simulator`);
    await redis.quit();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a mistyped option or a stray argument on run and enqueue with exit 2, naming it, before enqueueing or calling anything', async () => {
    const csv = join(dir, 'good.csv');
    const cases: Array<[string[], string]> = [
      [['run', csv, '--max-cots', '0.01'], 'imgbatch run: unknown option --max-cots; did you mean --max-cost?'],
      [['run', csv, 'more.csv'], 'imgbatch run: unexpected argument "more.csv" (it takes CSV)'],
      [['enqueue', csv, '--max-cots', '0.01'], 'imgbatch enqueue: unknown option --max-cots; did you mean --max-cost?'],
      [['enqueue', csv, 'more.csv'], 'imgbatch enqueue: unexpected argument "more.csv" (it takes CSV)'],
      [['estimate', csv, '--jsn'], 'imgbatch estimate: unknown option --jsn; did you mean --json?'],
      [['status', 'good', 'extra'], 'imgbatch status: unexpected argument "extra" (it takes BATCH)'],
      [['run', csv, '--batch'], 'imgbatch run: --batch needs a value'],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv, azureEnv());
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    }
    expect(await known(prefix, 'good')).toBe(false);
    expect(simulator.stats()).toEqual([]);
    expect(await exists(join(dir, 'output'))).toBe(false);
  });

  it('prints exactly one JSON value on stdout with --json, on every command that has it', async () => {
    const good = join(dir, 'good.csv');
    const queued = join(dir, 'queued.csv');
    const run = await runCli(['run', good, '--json'], env());
    expect(run.code).toBe(0);
    expect(onlyJson(run)).toMatchObject({ batchId: 'good', stored: 2, failed: 0, pending: 0, pausedDeployments: [], ok: true });
    // The summary for people goes to stderr instead.
    expect(run.stderr).toContain('result       every image stored or filtered');

    const checks: Array<[string[], Record<string, unknown>]> = [
      [['run', good, '--dry-run', '--json'], { batchId: 'good', enqueued: false, images: 2 }],
      [['enqueue', queued, '--dry-run', '--json'], { batchId: 'queued', enqueued: false }],
      [['estimate', good, '--json'], { batchId: 'good', images: 2 }],
      [['status', '--json'], { deployments: [] }],
      [['status', 'good', '--json'], { batch: expect.objectContaining({ batchId: 'good' }) as unknown }],
      [['deployments', '--json'], { deployments: [] }],
      [['deployments', 'list', '--json'], { deployments: [] }],
      [['deployments', 'resume', 'gpt-image-1-mini', '--json'], { deployment: 'gpt-image-1-mini', wasPaused: false, pausedReason: null }],
      [['schedules', 'sync', '--dir', join(dir, 'schedules'), '--json'], { upserted: [], removed: [] }],
    ];
    for (const [argv, shape] of checks) {
      const result = await runCli(argv, env());
      expect(result.code, argv.join(' ')).toBe(0);
      expect(onlyJson(result), argv.join(' ')).toMatchObject(shape);
    }
    const list = await runCli(['schedules', 'list', '--json'], env());
    expect(JSON.parse(list.stdout)).toEqual([]);

    // enqueue, cancel and resume act on a batch no worker takes.
    const enqueued = await runCli(['enqueue', queued, '--json'], env());
    expect(onlyJson(enqueued)).toMatchObject({ batchId: 'queued', enqueued: true, jobsAdded: 2 });
    expect(onlyJson(await runCli(['cancel', 'queued', '--json'], env()))).toMatchObject({ batchId: 'queued', jobsCancelled: 2 });
    expect(onlyJson(await runCli(['resume', 'queued', '--json'], env()))).toMatchObject({ batchId: 'queued', pending: expect.any(Number) as unknown });
  }, 120_000);

  it('exits 1 when an image failed, reporting it apart from pending ones', async () => {
    simulator.script({ promptIncludes: 'flaky-call' }, [{ kind: '500' }]);
    const config = await writeWorkerConfig(dir, 'flaky.json', {
      deployments: [{ name: 'mini', endpoint: simulator.url, model: 'gpt-image-1-mini', ratePerMinute: 600 }],
      worker: { attempts: 1, backoffBaseMs: 50, backoffMaxMs: 100 },
    });
    const result = await runCli(['run', join(dir, 'flaky.csv'), '--json'], { ...env(), IMGBATCH_CONFIG: config, SIM_KEY: 'sim-key' });
    expect(result.code).toBe(1);
    expect(onlyJson(result)).toMatchObject({ stored: 1, failed: 1, pending: 0, invalidRows: 0, ok: false });
    expect(result.stderr).toMatch(/result {7}not every image was made: 1 image failed/);
  });

  it('exits 2 on a configuration error, with the message and no stack', async () => {
    const result = await runCli(['run', join(dir, 'good.csv')], { ...env(), AZURE_OPENAI_ENDPOINT: 'https://example.invalid/' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AZURE_OPENAI_DEPLOYMENT_NAME: must be set when AZURE_OPENAI_ENDPOINT is');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 130 on SIGINT, once images are being made, leaving the rest queued', async () => {
    const run = spawnCli(['run', join(dir, 'long.csv'), '--json'], env());
    const batches = createBatchRegistry(redis, createKeySpace(`${prefix}-simulator`));
    await waitFor(async () => ((await batches.summary('long')).counts.stored >= 1 ? true : undefined), 60_000, () => 'the first image of the long batch to be stored');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping');
    const summary = onlyJson(result);
    expect(summary).toMatchObject({ interrupted: true, ok: false });
    expect(summary.pending).toBeGreaterThan(0);
    expect(summary.failed).toBe(0);
  }, 90_000);

  it('writes no colour or other escape codes when its output is not a terminal: help, usage errors, a run', async () => {
    const outputs: CliResult[] = [];
    for (const argv of [['--help'], ['run', '--help'], ['deployments', 'resume', '--help'], ['run', join(dir, 'good.csv'), '--max-cots', '1'], ['nope'], ['run', join(dir, 'good.csv')]]) {
      outputs.push(await runCli(argv, env()));
    }
    expect(outputs[0]?.stdout).toContain('USAGE imgbatch run|enqueue|estimate');
    expect(outputs[1]?.stdout).toContain('USAGE imgbatch run [OPTIONS] <CSV>');
    expect(outputs[2]?.stdout).toContain('USAGE imgbatch deployments resume [OPTIONS] <NAME>');
    for (const output of outputs) expect(`${output.stdout}${output.stderr}`).not.toContain(ESC);
  });

  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const result = await runCli(['--version'], {});
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--version reads the package.json two folders above the CLI module when it runs, not a copy made when it was written', async () => {
    // A copy of the sources beside a package.json of another version: the CLI there must say that version.
    const copy = join(dir, 'package-copy');
    await mkdir(copy);
    await cp('src', join(copy, 'src'), { recursive: true });
    await symlink(resolve('node_modules'), join(copy, 'node_modules'), 'dir');
    await writeFile(join(copy, 'package.json'), JSON.stringify({ name: 'imgbatch', version: '9.8.7-test', type: 'module' }));
    // Rejects on a non-zero exit.
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', join('src', 'cli', 'main.ts'), '--version'], { cwd: copy, env: { PATH: process.env.PATH ?? '' } });
    expect(result).toEqual({ stdout: '9.8.7-test\n', stderr: '' });
  });
});
