import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';
import { runCli } from '../../helpers/run-cli.js';

const FIXTURE = join('test', 'fixtures', 'csv', 'estimate.csv');

describe('imgbatch estimate and --dry-run (the CLI, in its own process; nothing enqueued)', () => {
  let dir: string;
  const env = (): Record<string, string> => ({ IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-estimate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // hero: dall-e-3 hd 1792x1024, 2 images at $0.12 = $0.24 in 2 calls.
  // icon: gpt-image-1-mini low 1024², 3 images at the $0.005 list price = $0.015 in 3 calls.
  // poster: gpt-image-1 high 1024x1536, 6240 tokens × $40/1M + 2 prompt tokens × $5/1M = $0.24961.
  // Rows 5 (n = 0) and 6 (a size dall-e-3 does not make) are refused.
  it('prints images, calls, expected cost by model and the duration at the quotas; bad rows reported as by enqueue --dry-run', async () => {
    const result = await runCli(['estimate', FIXTURE, '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid: row 5: n: 0 is below the minimum of 1');
    expect(result.stderr).toMatch(/invalid: row 6: size: "1536x1024" is not allowed for dall-e-3/);
    expect(result.stderr).toContain(`refused rows written to ${join(dir, 'output', 'estimate.rejects.csv')}`);
    const out = JSON.parse(result.stdout) as { accepted: number; images: number; jobs: number; quotasFrom: string; estimate: Record<string, unknown> & { models: Array<Record<string, unknown>> } };
    expect(out).toMatchObject({ accepted: 3, images: 6, jobs: 6, quotasFrom: 'built-in simulator' });
    // Without deployments, the built-in simulator's 60 calls/min per model: icon's 3 calls take 3 s.
    expect(out.estimate).toMatchObject({ images: 6, calls: 6, expectedCostUsd: 0.50461, expectedDurationSeconds: 3 });
    expect(out.estimate.models).toEqual([
      expect.objectContaining({ model: 'gpt-image-1', images: 1, calls: 1, expectedCostUsd: 0.24961, bases: ['tokens'], deployments: ['gpt-image-1'], expectedDurationSeconds: 1 }),
      expect.objectContaining({ model: 'dall-e-3', images: 2, calls: 2, expectedCostUsd: 0.24, bases: ['per-image'], callsPerMinute: 60, expectedDurationSeconds: 2 }),
      expect.objectContaining({ model: 'gpt-image-1-mini', images: 3, calls: 3, expectedCostUsd: 0.015, bases: ['per-image'], expectedDurationSeconds: 3 }),
    ]);
  });

  it('uses the configured deployments\' quotas and the config file\'s prices, and says which deployments serve each model', async () => {
    const configPath = join(dir, 'imgbatch.yaml');
    await writeFile(
      configPath,
      [
        'deployments:',
        '  - { name: east, endpoint: "https://east.example.com/", deployment: d3, model: dall-e-3, ratePerMinute: 6, auth: { apiKeyEnv: KEY } }',
        '  - { name: west, endpoint: "https://west.example.com/", deployment: d3, model: dall-e-3, ratePerMinute: 6, auth: { apiKeyEnv: KEY } }',
        '  - { name: mini, endpoint: "https://east.example.com/", deployment: mini, model: gpt-image-1-mini, ratePerMinute: 12, auth: { apiKeyEnv: KEY } }',
        'prices:',
        '  takenOn: 2026-12-01',
        '  source: our price sheet',
        '  models:',
        '    dall-e-3: { perImageUsd: { hd: { 1792x1024: 0.1 } } }',
      ].join('\n'),
    );
    const result = await runCli(['estimate', FIXTURE], { ...env(), IMGBATCH_CONFIG: configPath, KEY: 'k' });
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('batch estimate: 5 rows: 3 valid, 2 refused; 6 images in 6 calls (estimate, nothing enqueued)');
    expect(lines[1]).toBe('expected cost $0.4646 for 6 images in 6 calls; expected duration unknown (a model has no deployment, see below)');
    expect(lines).toContain('  gpt-image-1: 1 image in 1 call, $0.2496 (expected tokens); no configured deployment serves it: duration unknown');
    // 2 calls at 6 + 6 calls/min: 10 s; 3 calls at 12 calls/min: 15 s.
    expect(lines).toContain('  dall-e-3: 2 images in 2 calls, $0.2000 (per-image price); 12 calls/min on east, west: 10 s');
    expect(lines).toContain('  gpt-image-1-mini: 3 images in 3 calls, $0.0150 (per-image price); 12 calls/min on mini: 15 s');
    expect(lines).toContain('prices of 2026-12-01: our price sheet; other prices: defaults of 2026-11-21');
  });

  it('enqueue --dry-run prints the same estimate, and says whether --max-cost covers it', async () => {
    const result = await runCli(['enqueue', FIXTURE, '--dry-run', '--max-cost', '0.30'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('batch estimate: 5 rows: 3 valid, 2 refused; 6 images in 6 calls (dry run, nothing enqueued)');
    expect(result.stdout).toContain('expected cost $0.5046 for 6 images in 6 calls');
    expect(result.stdout).toContain('budget $0.3000: the expected cost is over it by $0.2046');
    const json = await runCli(['enqueue', FIXTURE, '--dry-run', '--json'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({ enqueued: false, estimate: { expectedCostUsd: 0.50461 } });
  });

  it('refuses a --max-cost that is not an amount', async () => {
    const result = await runCli(['enqueue', FIXTURE, '--dry-run', '--max-cost', 'lots'], env());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-cost: "lots" is not an amount in USD');
  });
});

describe('imgbatch run --max-cost, status and resume (embedded simulator, real Redis)', () => {
  let redis: Redis;
  let dir: string;
  const prefix = uniquePrefix('budget');
  const env = (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: prefix, IMGBATCH_OUTPUT_DIR: join(dir, 'output') });

  beforeAll(async () => {
    redis = connectTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'imgbatch-budget-'));
    // Five gpt-image-1 low 1024² images of 15-character prompts: $0.0109 each, expected and billed.
    const rows = ['id,prompt,model,quality'];
    for (let i = 0; i < 5; i++) rows.push(`kite-${i},A kite number ${i},gpt-image-1,low`);
    await writeFile(join(dir, 'kites.csv'), rows.join('\n'));
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, `${prefix}-simulator`);
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at the budget with the rest skipped (exit 1); resume --max-cost raises it and the next run makes only those', async () => {
    const first = await runCli(['run', join(dir, 'kites.csv'), '--max-cost', '0.03', '--json'], env());
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ images: 5, stored: 2, skipped: 3, apiCalls: 2, costUsd: 0.0218, batchCostUsd: 0.0218, maxCostUsd: 0.03, ok: false });
    expect(first.stderr).toContain('cost         $0.0218 this run; $0.0218 for the batch so far of its $0.0300 budget');
    expect(first.stderr).toContain('3 images skipped at the budget (raise it with --max-cost)');
    expect(first.stderr).toMatch(/^3 images skipped, e\.g\. kites\/kite-\d-0: budget: /m);

    const status = await runCli(['status', 'kites', '--json'], env());
    expect(JSON.parse(status.stdout)).toMatchObject({ batch: { costUsd: 0.0218, inFlightCostUsd: 0, maxCostUsd: 0.03, counts: { stored: 2, skipped: 3 } } });

    const resumed = await runCli(['resume', 'kites', '--max-cost', '1', '--json'], env());
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ unskipped: 3, pending: 3, costUsd: 0.0218, maxCostUsd: 1 });

    const second = await runCli(['run', join(dir, 'kites.csv'), '--json'], env());
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ stored: 5, skipped: 0, apiCalls: 3, costUsd: 0.0327, batchCostUsd: 0.0545, maxCostUsd: 1, ok: true });

    const manifest = await runCli(['results', 'kites', '--format', 'jsonl'], env());
    const rows = manifest.stdout.trim().split('\n').map((line) => JSON.parse(line) as { status: string; cost: number });
    expect(rows.map((r) => [r.status, r.cost])).toEqual(Array.from({ length: 5 }, () => ['stored', 0.0109]));
    const record = JSON.parse(await readFile(join(dir, 'output', 'kites', 'kite-0-0.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ costUsd: 0.0109, costSource: 'usage' });
  });
});
